import { EYES, eyeOpeningCentre, eyeWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/**
 * 8 big_eyes: each eye is scaled about the centre of its opening (mean of its contour), more in
 * height than in width (an eye looks bigger mostly by opening): 10 % across, 14 % down at
 * strength 1. The plateau (half the ellipse) covers the whole opening and the lids so the eye
 * scales rigidly; the falloff reaches just under the brow, which follows only a little.
 */
export function big_eyes(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return EYES.map((e) => {
    const w = eyeWidth(g, e);
    return scale(g, eyeOpeningCentre(g, e), 0.1 * s, 0.14 * s, 1.15 * w, 0.95 * w, 0.5);
  });
}
