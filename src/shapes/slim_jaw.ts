import type { FaceGeometry } from './frame.js';
import { pairBand, type Primitive } from './primitives.js';

/**
 * 7 slim_jaw: the mandible angles (58/288, 172/397) move inward: a side band compressed 10 %,
 * centred above the jaw angle and tall enough to carry the cheek above it, with a plateau over
 * half of it that holds the jaw angle, so the jaw line stays smooth; the chin, on the midline,
 * barely moves.
 */
export function slim_jaw(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return pairBand(g, [58, 172], [288, 397], 0.1 * s, 0.4, 0.45, 0.5, -0.15);
}
