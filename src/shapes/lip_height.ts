import { mouthHalfWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/**
 * 20 lip_height: the whole mouth is translated up, its size unchanged. The falloff is centred
 * on the mouth's vertical middle (between 0 and 17) with a plateau over both lips, and ends at
 * the nose base (2), so only the philtrum shortens (and the chin below lengthens a little).
 */
export function lip_height(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const h = mouthHalfWidth(g);
  const c = g.centroid([0, 17]);
  const cv = g.toFace(c[0], c[1])[1];
  const ry = Math.max(1.05 * (cv - g.v(2)), 0.05 * g.width);
  const inner = Math.min(0.8, (0.6 * g.dist(0, 17)) / ry);
  return [move(g, c, 0, -0.16 * s * g.dist(2, 13), 1.6 * h, ry, inner)];
}
