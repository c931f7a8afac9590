import { big_eyes } from './big_eyes.js';
import { cheekbone } from './cheekbone.js';
import { chin_lengthen } from './chin_lengthen.js';
import { chin_shorten } from './chin_shorten.js';
import { cut_face } from './cut_face.js';
import { eye_angle_1 } from './eye_angle_1.js';
import { eye_angle_2 } from './eye_angle_2.js';
import { eye_distance } from './eye_distance.js';
import { eye_height } from './eye_height.js';
import type { FaceGeometry } from './frame.js';
import { lip_height } from './lip_height.js';
import { lip_size } from './lip_size.js';
import { lip_width } from './lip_width.js';
import { long_face } from './long_face.js';
import { SHAPE_NAMES, shapeId, type ShapeName } from './names.js';
import { nose_length } from './nose_length.js';
import { nose_tip } from './nose_tip.js';
import { nose_wing } from './nose_wing.js';
import { philtrum } from './philtrum.js';
import type { Primitive, ShapeFn } from './primitives.js';
import { slim_chin } from './slim_chin.js';
import { slim_face } from './slim_face.js';
import { slim_jaw } from './slim_jaw.js';
import { slim_nose } from './slim_nose.js';
import { widen_eye_distance } from './widen_eye_distance.js';
import { FaceReshapeError } from '../errors.js';

/** id → shape function, in SHAPE_NAMES order. Adding a shape = one file + one line here; no warp code changes. */
export const SHAPES: Readonly<Record<ShapeName, ShapeFn>> = {
  cheekbone,
  cut_face,
  slim_face,
  long_face,
  chin_shorten,
  chin_lengthen,
  slim_chin,
  slim_jaw,
  big_eyes,
  eye_angle_1,
  eye_distance,
  widen_eye_distance,
  eye_angle_2,
  eye_height,
  slim_nose,
  nose_wing,
  nose_length,
  nose_tip,
  lip_width,
  lip_size,
  lip_height,
  philtrum,
};

export const SHAPE_FNS: readonly ShapeFn[] = SHAPE_NAMES.map((n) => SHAPES[n]);

/** Validates a signed strength (finite, in [-1, 1]). */
export function checkStrength(strength: unknown): number {
  if (typeof strength !== 'number' || !Number.isFinite(strength) || strength < -1 || strength > 1) {
    throw new FaceReshapeError('OUT_OF_RANGE', `Strength ${String(strength)} is out of range: use a number in [-1, 1].`);
  }
  return strength;
}

/** Primitives of one edit on one face. */
export function shapePrimitives(g: FaceGeometry, shape: ShapeName | number, strength: number): Primitive[] {
  const s = checkStrength(strength);
  if (s === 0) return [];
  return SHAPE_FNS[shapeId(shape)](g, s);
}

export { SHAPE_NAMES, shapeId, shapeName, type ShapeName } from './names.js';
export { FaceGeometry } from './frame.js';
export type { Primitive, ShapeFn } from './primitives.js';
