import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/**
 * 14 slim_nose: a horizontal pinch of the whole nose about its own midline, from the bridge
 * (168) down to the alae; the plateau covers the alae so bridge and wings narrow together.
 * 14 % at the centre (d(48,278) and d(129,358) −13…−16 % in pixels), over 1.5 × the alar width on
 * each side so that the cheeks beside the nose follow smoothly.
 */
export function slim_nose(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const c = g.centroid([48, 278, 129, 358]);
  const half = g.dist(129, 358) / 2;
  const [, vc] = g.toFace(c[0], c[1]);
  const len = Math.max(vc - g.v(168), 0.1 * g.width);
  return [scale(g, c, -0.14 * s, 0, 3.0 * half, 1.05 * len, 0.45)];
}
