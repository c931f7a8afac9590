import { EYES, eyeOpeningCentre, eyeWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/**
 * 8 big_eyes: each eye is scaled about the centre of its opening (mean of its contour), more in
 * height than in width (an eye looks bigger mostly by opening): 16 % across, 20 % down at
 * strength 1. The plateau (half the ellipse) covers the whole opening and the lids so the eye
 * scales rigidly; the falloff is taller than the eye so the brow's lower edge follows gently.
 * Measured by re-detection the landmark model follows only part of a lid opening (small or
 * squinting eyes most of all), hence the amounts.
 */
export function big_eyes(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return EYES.map((e) => {
    const w = eyeWidth(g, e);
    return scale(g, eyeOpeningCentre(g, e), 0.16 * s, 0.2 * s, 1.15 * w, 1.2 * w, 0.5);
  });
}
