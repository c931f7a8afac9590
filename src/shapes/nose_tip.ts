import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/**
 * 17 nose_tip: lifts the tip (4) while the base (2) stays: the falloff is centred above the tip
 * and ends just above the base, so the ridge above the tip shortens and the nostrils do not move.
 */
export function nose_tip(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const W = g.width;
  const gap = Math.max(g.v(2) - g.v(4), 0.03 * W);
  const c = g.toImage(g.u(4), g.v(4) - 0.6 * gap);
  return [move(g, c, 0, -0.11 * s * g.dist(168, 4), 0.14 * W, 1.55 * gap)];
}
