import type { FaceGeometry } from './frame.js';
import { pairBand, type Primitive } from './primitives.js';

/**
 * 7 slim_jaw: the mandible angles (58/288, 172/397) move inward. The side band is centred above
 * the jaw angle and tall enough to carry the cheek above it (the landmark model reads the jaw
 * line from the whole side of the face); the chin, on the midline, barely moves.
 */
export function slim_jaw(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return pairBand(g, [58, 172], [288, 397], 0.12 * s, 0.4, 0.45, 0.4, -0.15);
}
