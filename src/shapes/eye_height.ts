import { EYES, eyeCentre, eyeWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/** 13 eye_height: each eye is stretched vertically about its centre (taller aperture, same width). */
export function eye_height(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return EYES.map((e) => {
    const w = eyeWidth(g, e);
    return scale(g, eyeCentre(g, e), 0, 0.12 * s, 1.15 * w, 0.9 * w, 0.45);
  });
}
