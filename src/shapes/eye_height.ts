import { EYES, eyeOpeningCentre, eyeWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/**
 * 13 eye_height: each eye is stretched vertically (20 % at strength 1) about the centre of its
 * opening, its width unchanged. The plateau covers the whole opening so both lids move apart
 * rigidly; re-detection follows only part of a lid opening, hence the amount.
 */
export function eye_height(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return EYES.map((e) => {
    const w = eyeWidth(g, e);
    return scale(g, eyeOpeningCentre(g, e), 0, 0.2 * s, 1.15 * w, 1.2 * w, 0.5);
  });
}
