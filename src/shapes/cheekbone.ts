import type { FaceGeometry } from './frame.js';
import { pairBand, type Primitive } from './primitives.js';

/**
 * 0 cheekbone: narrows the zygomatic width. The band at the height of the widest contour points
 * 234/454 (cheekbone, temple below the eye, front of the ear) is compressed 12 % toward the
 * midline. Its plateau covers the contour there, so the side of the face moves in as a piece
 * (pixel motion can follow the contour points, and the landmark model registers the narrower face
 * at −5…−7 % instead of −4 % with the band's falloff on the contour); the falloff tapers down to
 * the jaw angle and up to the temple, and the background beside the face takes up the stretch.
 */
export function cheekbone(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return pairBand(g, [234], [454], 0.12 * s, 0.4, 0.45, 0.35, 0.1);
}
