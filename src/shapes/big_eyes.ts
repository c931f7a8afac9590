import { EYES, eyeCentre, eyeWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/**
 * 8 big_eyes: each eye is scaled about its own centre, more in height than in width (an eye
 * looks bigger mostly by opening). The plateau covers the whole eye so it scales rigidly; the
 * falloff ends within about one eye width, before the nose and the brow's outer end.
 */
export function big_eyes(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  return EYES.map((e) => {
    const w = eyeWidth(g, e);
    return scale(g, eyeCentre(g, e), 0.1 * s, 0.11 * s, 1.15 * w, 0.95 * w, 0.45);
  });
}
