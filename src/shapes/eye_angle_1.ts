import { EYES, eyeCentre, eyeWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { rotate, type Primitive } from './primitives.js';

/**
 * 9 eye_angle_1: tilts each eye about its centre so the outer corner rises by 6° (mirror-symmetric:
 * the two eyes turn in opposite senses). Rotation rather than moving one corner keeps the eye's
 * shape; pixel motion reads 4.3–5.9° on the line 133→33, re-detection about 40 % of that.
 */
export function eye_angle_1(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const angle = (6 * Math.PI) / 180;
  return EYES.map((e) => {
    const w = eyeWidth(g, e);
    // Outer corner on the negative-u side: a positive rotation lifts it (turns −u toward −v).
    const sign = g.u(e.outer) < g.u(e.inner) ? 1 : -1;
    return rotate(g, eyeCentre(g, e), sign * angle * s, 1.2 * w, 0.95 * w, 0.45);
  });
}
