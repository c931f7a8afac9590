import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/**
 * 15 nose_wing: narrows the alae only. A horizontal pinch (15 %) about the nose's midline at the
 * height of the wings (129/358), short along the face so the bridge above stays and the nose keeps
 * its length (d(168,2) within 0.5 %), wide across (1.5 × the alar width each side) so the cheeks
 * beside the wings follow smoothly.
 */
export function nose_wing(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const c = g.centroid([129, 358]);
  const half = g.dist(129, 358) / 2;
  return [scale(g, c, -0.15 * s, 0, 3.0 * half, 0.65 * half, 0.3)];
}
