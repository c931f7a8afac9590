import type { FaceGeometry } from './frame.js';
import { pairBand, type Primitive } from './primitives.js';

/**
 * 1 cut_face (V-line): the lower face narrows progressively toward the chin. A tall side band
 * centred above the jaw angle (172/150) narrows the jaw with the cheek above it by 7 %, and a
 * second band centred on the chin sides (176/148) adds 8 % lower down, so the jaw line becomes a
 * V (d(172,397) −7 %, d(150,379) −10 % in pixels). Both bands are tall and smooth (a short band at
 * the chin sides sheared the outline so much that its points could no longer be tracked, and bent
 * the collar below); chin tip 152 sits on the midline, where the compression is zero, so it stays.
 */
export function cut_face(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return [...pairBand(g, [172, 150], [397, 379], 0.07 * s, 0.4, 0.45, 0.4, -0.15), ...pairBand(g, [176, 148], [400, 377], 0.08 * s, 0.3, 0.3, 0.3)];
}
