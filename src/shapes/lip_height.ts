import { mouthHalfWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/**
 * 20 lip_height: the whole mouth is translated up by 16 % of d(2,13), its size unchanged. The
 * ellipse is centred on the midline 60 % of the way from the nose base (2) down to the chin (152)
 * and reaches just past 2, so the nose stays. Its plateau reaches from just above the upper lip's
 * border (0, by 0.6 × the upper lip's height d(0,13): on an open mouth a reach measured on d(0,17)
 * left the compression below 2 so short that the fold guard acted with philtrum at +1) down past
 * the chin, and 2.2 half-mouth-widths across (at most 0.45 face widths, so that the builder's
 * locality clamp never shrinks the plateau off the lips): both lips and the corners (61/291) move
 * rigidly, the philtrum shortens and the chin rises with the mouth.
 */
export function lip_height(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const h = mouthHalfWidth(g);
  const cv = g.v(2) + 0.6 * (g.v(152) - g.v(2));
  const c = g.toImage(g.mid(cv), cv);
  const ry = Math.max(1.05 * (cv - g.v(2)), 0.05 * g.width);
  const inner = Math.min(0.85, (cv - g.v(0) + 0.6 * g.dist(0, 13)) / ry);
  return [move(g, c, 0, -0.16 * s * g.dist(2, 13), Math.min(2.2 * h, 0.45 * g.width), ry, inner)];
}
