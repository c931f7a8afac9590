import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/**
 * 6 slim_chin: a horizontal pinch centred on the chin (mean of 148/377, 176/400): the chin
 * narrows and looks pointier; the jaw angles are outside the falloff.
 */
export function slim_chin(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const W = g.width;
  const c = g.centroid([148, 377, 176, 400]);
  return [scale(g, c, -0.085 * s, 0, 0.36 * W, 0.16 * W, 0.45)];
}
