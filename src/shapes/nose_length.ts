import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/** 16 nose_length: the lower nose (tip, alae and base 2) moves up as a whole by 8 % of d(168,2), shortening the nose. */
export function nose_length(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const W = g.width;
  const c = g.centroid([4, 2]);
  return [move(g, c, 0, -0.08 * s * g.dist(168, 2), 0.26 * W, 0.16 * W, 0.3)];
}
