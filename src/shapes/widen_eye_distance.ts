import { moveEyesTogether } from './eye_distance.js';
import type { FaceGeometry } from './frame.js';
import type { Primitive } from './primitives.js';

/** 11 widen_eye_distance: the eyes move apart (eye_distance reversed, 3.9 % of d(133, 362) per side). */
export function widen_eye_distance(g: FaceGeometry, s: number): Primitive[] {
  return moveEyesTogether(g, -0.039 * s);
}
