import type { FaceGeometry } from './frame.js';
import { pairInward, type Primitive } from './primitives.js';

/**
 * 1 cut_face (V-line): the lower contour moves inward, more toward the chin, so the jaw line
 * becomes a V. Chin tip 152 sits on the midline, where inward motions cancel, so it stays.
 */
export function cut_face(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return [
    ...pairInward(g, 172, 397, 0.055 * s, 0.18, 0.16),
    ...pairInward(g, 150, 379, 0.06 * s, 0.16, 0.14),
    ...pairInward(g, 176, 400, 0.05 * s, 0.12, 0.12),
  ];
}
