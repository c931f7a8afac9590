import type { FaceGeometry } from './frame.js';
import { pairBand, type Primitive } from './primitives.js';

/**
 * 2 slim_face: the cheeks (contour at nose height 93/323 and below it 132/361) move inward: the
 * side band of the face is compressed 11 % toward the midline (see pairBand). The band is centred
 * between the cheek and the jaw angle (132/58), as tall as locality allows, with a plateau over
 * 40 % of it so that the contour moves with the side of the face; the compression tapers
 * smoothly up to the cheekbone and down to the chin (a band that stopped above the jaw left the
 * jaw where it was and read as a jowl).
 */
export function slim_face(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return pairBand(g, [132, 58], [361, 288], 0.11 * s, 0.4, 0.45, 0.4);
}
