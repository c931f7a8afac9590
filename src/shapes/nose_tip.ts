import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/**
 * 17 nose_tip: lifts the tip (4) by 7 % of d(168,4) while the base (2) nearly stays: the plateau
 * holds the tip and its surroundings (so the tip moves as a piece), and the falloff reaches just
 * past the base (which follows by < 1 % of the nose length), so the ridge above the tip and the
 * columella below it shorten smoothly instead of folding the nostrils at −1.
 */
export function nose_tip(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const W = g.width;
  const gap = Math.max(g.v(2) - g.v(4), 0.03 * W);
  const c = g.toImage(g.u(4), g.v(4) - 0.15 * gap);
  return [move(g, c, 0, -0.07 * s * g.dist(168, 4), 0.14 * W, 1.4 * gap, 0.3)];
}
