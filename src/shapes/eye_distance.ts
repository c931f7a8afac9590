import { EYES, eyeCentre, eyeWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/**
 * Shared by eye_distance / widen_eye_distance: each eye is translated rigidly (plateau over the
 * whole eye, so its width does not change) toward the midpoint of the inner corners by `k` of
 * the intercanthal distance d(133, 362) per side. The plateau (1.12 eye widths across, 0.84 down,
 * around the eye centre) carries the lids, the brow's inner half and the skin around the eye
 * along, so the eye region moves as a whole and does not look pasted on.
 */
export function moveEyesTogether(g: FaceGeometry, k: number): Primitive[] {
  if (k === 0) return [];
  const um = (g.u(133) + g.u(362)) / 2;
  const d = g.dist(133, 362);
  return EYES.map((e) => {
    const w = eyeWidth(g, e);
    const dir = Math.sign(um - g.u(e.inner));
    return move(g, eyeCentre(g, e), dir * k * d, 0, 1.6 * w, 1.2 * w, 0.7);
  });
}

/** 10 eye_distance: the eyes move closer together. */
export function eye_distance(g: FaceGeometry, s: number): Primitive[] {
  return moveEyesTogether(g, 0.035 * s);
}
