import type { FaceGeometry } from './frame.js';
import { pairBand, type Primitive } from './primitives.js';

/**
 * 0 cheekbone: narrows the zygomatic width. The band at the height of the widest contour points
 * 234/454 (cheekbone, temple below the eye, front of the ear) is compressed 10 % toward the
 * midline. The band is as tall as locality allows with a short plateau, so the compression tapers
 * smoothly down to the jaw angle (a short band left the lower cheek bulging like a jowl) and up to
 * the temple; the background beside the face takes up the stretch.
 */
export function cheekbone(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return pairBand(g, [234], [454], 0.1 * s, 0.4, 0.45, 0, 0.15);
}
