import { EYES, eyeWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/**
 * 12 eye_angle_2 (canthus opening): the inner corners 133/362 move toward the nose by 4 % of
 * their distance each (d(133,362) −8 %). The patch is 0.8 × 0.5 eye widths with a small plateau
 * around the corner: it carries the caruncle and the lid folds beside it and ends before the outer
 * corners (33/263 stay put: d(33,263) changes < 1 %).
 */
export function eye_angle_2(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const um = (g.u(133) + g.u(362)) / 2;
  const d = g.dist(133, 362);
  return EYES.map((e) => {
    const w = eyeWidth(g, e);
    const dir = Math.sign(um - g.u(e.inner));
    return move(g, g.pt(e.inner), dir * 0.04 * s * d, 0, 0.8 * w, 0.5 * w, 0.3);
  });
}
