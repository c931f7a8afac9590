import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/**
 * 14 slim_nose: a horizontal pinch of the whole nose about its own midline, from the bridge
 * (168) down to the alae; the plateau covers the alae so bridge and wings narrow together.
 * 25 % at the centre, over 1.5 × the alar width on each side: the landmark models place the alae
 * from the nose and the cheeks beside it, so an 8 % pinch over the nose alone re-detected as
 * only −1.2 %; this one reads as −4.6…−6.5 % on the test faces and still looks like a nose.
 */
export function slim_nose(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const c = g.centroid([48, 278, 129, 358]);
  const half = g.dist(129, 358) / 2;
  const [, vc] = g.toFace(c[0], c[1]);
  const len = Math.max(vc - g.v(168), 0.1 * g.width);
  return [scale(g, c, -0.25 * s, 0, 3.0 * half, 1.05 * len, 0.45)];
}
