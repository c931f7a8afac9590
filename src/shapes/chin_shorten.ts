import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/** 4 chin_shorten: the chin moves up by 13 % of d(17,152); the falloff ends above the lower lip (17), so only the chin shortens. */
export function chin_shorten(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const W = g.width;
  return [move(g, g.pt(152), 0, -0.13 * s * g.dist(17, 152), 0.3 * W, 0.2 * W)];
}
