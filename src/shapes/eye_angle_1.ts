import { EYES, eyeCentre, eyeWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { rotate, type Primitive } from './primitives.js';

/**
 * 9 eye_angle_1: tilts each eye about its centre so the outer corner rises (mirror-symmetric:
 * the two eyes turn in opposite senses). Rotation rather than moving one corner keeps the eye's shape.
 * The landmark model re-detects about 40 % of the pixel rotation (it also reads the brow and lid
 * folds, which turn less), so 11° of rotation gives the contract's 2° on every fixture.
 */
export function eye_angle_1(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const angle = (11 * Math.PI) / 180;
  return EYES.map((e) => {
    const w = eyeWidth(g, e);
    // Outer corner on the negative-u side: a positive rotation lifts it (turns −u toward −v).
    const sign = g.u(e.outer) < g.u(e.inner) ? 1 : -1;
    return rotate(g, eyeCentre(g, e), sign * angle * s, 1.2 * w, 0.95 * w, 0.45);
  });
}
