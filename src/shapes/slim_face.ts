import type { FaceGeometry } from './frame.js';
import { pairInward, type Primitive } from './primitives.js';

/** 2 slim_face: the cheeks (contour at nose height 93/323 and below it 132/361, 58/288) move inward. */
export function slim_face(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return [
    ...pairInward(g, 93, 323, 0.05 * s, 0.2, 0.16),
    ...pairInward(g, 132, 361, 0.05 * s, 0.2, 0.16),
    ...pairInward(g, 58, 288, 0.03 * s, 0.18, 0.14),
  ];
}
