import { mouthCentre, mouthHalfWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/** 18 lip_width: a horizontal pinch (10 %) about the mouth centre; the plateau holds both corners and the lips keep their height. */
export function lip_width(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const h = mouthHalfWidth(g);
  return [scale(g, mouthCentre(g), -0.1 * s, 0, 1.6 * h, 0.22 * g.width, 0.55)];
}
