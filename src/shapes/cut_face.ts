import type { FaceGeometry } from './frame.js';
import { pairBand, type Primitive } from './primitives.js';

/**
 * 1 cut_face (V-line): the lower face narrows progressively toward the chin. A tall side band
 * centred above the jaw angle (172/150) narrows the jaw with the cheek above it, and a short band
 * at the chin sides (150/176) adds to it lower down, so the jaw line becomes a V. Chin tip 152 sits
 * on the midline, where the compression is zero, so it stays.
 */
export function cut_face(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return [...pairBand(g, [172, 150], [397, 379], 0.09 * s, 0.4, 0.55, 0.4, -0.2), ...pairBand(g, [150, 176], [379, 400], 0.08 * s, 0.3, 0.15, 0.3)];
}
