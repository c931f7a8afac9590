import type { FaceGeometry } from './frame.js';
import { move, type Primitive } from './primitives.js';

/**
 * 3 long_face: shortens the face below the eyes (negative lengthens). The chin and the lower
 * jaw move up under one wide falloff centred on the chin, so the part between the mouth and the
 * chin compresses progressively while the eyes and nose do not move.
 */
export function long_face(g: FaceGeometry, s: number): Primitive[] {
  if (s === 0) return [];
  const W = g.width;
  return [move(g, g.pt(152), 0, -0.055 * s * g.dist(168, 152), 0.45 * W, 0.42 * W, 0.15)];
}
