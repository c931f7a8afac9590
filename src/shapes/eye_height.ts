import { EYES, eyeOpeningCentre, eyeWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/**
 * 13 eye_height: each eye opening is stretched vertically (20 % at strength 1) about its centre.
 * The stretch is full over the middle of the eye and fades out before the corners (0.62 eye
 * widths across, plateau a quarter of that): the lids arch apart while the corners stay, as an eye
 * opens, and the eye keeps its width (stretching the corners too made them read as moving sideways).
 */
export function eye_height(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return EYES.map((e) => {
    const w = eyeWidth(g, e);
    return scale(g, eyeOpeningCentre(g, e), 0, 0.2 * s, 0.62 * w, 0.95 * w, 0.25);
  });
}
