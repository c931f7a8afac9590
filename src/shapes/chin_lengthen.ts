import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/** 5 chin_lengthen: the chin moves down by 15 % of d(17,152) (mirror of chin_shorten, same falloff). */
export function chin_lengthen(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const W = g.width;
  return [move(g, g.pt(152), 0, 0.15 * s * g.dist(17, 152), 0.3 * W, 0.2 * W)];
}
