import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/**
 * 15 nose_wing: only the alae (nostril wings, outer points 129/358) move inward. The wing
 * surface 48/278 sits just medial of 129/358 (about 2 % of face width), so each falloff is small
 * across (half of half the alar width) and centred a little outside its ala: the rim moves fully,
 * the surface inside it about half as much (where the two are resolvable at all). Steeper
 * falloffs would separate them more but approach a fold (forward slope ≤ 0.4 here). Tall along
 * the face so the whole wing follows.
 */
export function nose_wing(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const um = (g.u(129) + g.u(358)) / 2;
  const half = g.dist(129, 358) / 2;
  const rx = 0.5 * half;
  return [129, 358].map((i) => {
    const dir = Math.sign(um - g.u(i));
    const c = g.toImage(g.u(i) - dir * 0.3 * rx, g.v(i));
    // (1 − 0.3²)³ ≈ 0.75 is the weight at the ala itself.
    return move(g, c, (dir * 0.09 * s * half) / 0.75, 0, rx, 0.6 * half);
  });
}
