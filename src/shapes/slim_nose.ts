import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/**
 * 14 slim_nose: a horizontal pinch of the whole nose about its own midline, from the bridge
 * (168) down to the alae; the plateau covers the alae so bridge and wings narrow together.
 */
export function slim_nose(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const c = g.centroid([48, 278, 129, 358]);
  const half = g.dist(129, 358) / 2;
  const [, vc] = g.toFace(c[0], c[1]);
  const len = Math.max(vc - g.v(168), 0.1 * g.width);
  return [scale(g, c, -0.08 * s, 0, 2.0 * half, 1.05 * len, 0.45)];
}
