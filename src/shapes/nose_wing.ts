import type { FaceGeometry } from './frame.js';
import { scale, type Primitive } from './primitives.js';

/**
 * 15 nose_wing: narrows the alae only. A horizontal pinch about the nose's midline at the height
 * of the wings (129/358), short along the face so the bridge above stays, wide across (1.5 × the
 * alar width each side) because the landmark models read the wings from their surroundings.
 * The wing surface 48/278 lies only ~2 % of face width inside 129/358, so at re-detection
 * resolution the two move together; see the shapes test's known gaps.
 */
export function nose_wing(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const c = g.centroid([129, 358]);
  const half = g.dist(129, 358) / 2;
  return [scale(g, c, -0.3 * s, 0, 3.0 * half, 0.65 * half, 0.3)];
}
