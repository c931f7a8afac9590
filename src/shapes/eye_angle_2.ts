import { EYES, eyeWidth } from './anatomy.js';
import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/**
 * 12 eye_angle_2 (canthus opening): only the inner corners 133/362 move toward the nose. The
 * falloff is under half an eye width, so the outer corners (33/263) do not move at all.
 */
export function eye_angle_2(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const um = (g.u(133) + g.u(362)) / 2;
  const d = g.dist(133, 362);
  return EYES.map((e) => {
    const w = eyeWidth(g, e);
    const dir = Math.sign(um - g.u(e.inner));
    return move(g, g.pt(e.inner), dir * 0.04 * s * d, 0, 0.5 * w, 0.4 * w);
  });
}
