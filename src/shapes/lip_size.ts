import { mouthCentre, mouthHalfWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/** 19 lip_size: the whole mouth is scaled about its centre (width 8.5 %, height 10.5 %). The plateau covers both lips and the corners. */
export function lip_size(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const h = mouthHalfWidth(g);
  const vh = g.dist(0, 17);
  return [scale(g, mouthCentre(g), 0.085 * s, 0.105 * s, 1.6 * h, 1.45 * vh, 0.55)];
}
