import { FaceReshapeError } from '../errors.js';

/**
 * The 22 shapes of the cloud contract, in seed-id order: the index in this array IS the
 * cloud's `shape_type`. Never reorder; append only.
 */
export const SHAPE_NAMES = [
  'cheekbone',
  'cut_face',
  'slim_face',
  'long_face',
  'chin_shorten',
  'chin_lengthen',
  'slim_chin',
  'slim_jaw',
  'big_eyes',
  'eye_angle_1',
  'eye_distance',
  'widen_eye_distance',
  'eye_angle_2',
  'eye_height',
  'slim_nose',
  'nose_wing',
  'nose_length',
  'nose_tip',
  'lip_width',
  'lip_size',
  'lip_height',
  'philtrum',
] as const;

export type ShapeName = (typeof SHAPE_NAMES)[number];

const BY_NAME: ReadonlyMap<string, number> = new Map(SHAPE_NAMES.map((n, i) => [n, i]));

function invalid(what: unknown): FaceReshapeError {
  return new FaceReshapeError('OUT_OF_RANGE',
    `Unknown shape ${JSON.stringify(what)}: use an integer 0–${SHAPE_NAMES.length - 1} or one of the names ${SHAPE_NAMES.join(', ')}.`,
  );
}

/** Shape id from an id or a name (exact, lower-case). Throws OUT_OF_RANGE otherwise. */
export function shapeId(shape: ShapeName | string | number): number {
  if (typeof shape === 'number') {
    if (Number.isInteger(shape) && shape >= 0 && shape < SHAPE_NAMES.length) return shape;
    throw invalid(shape);
  }
  const id = BY_NAME.get(shape);
  if (id === undefined) throw invalid(shape);
  return id;
}

/** Shape name from an id. Throws OUT_OF_RANGE for ids outside 0–21. */
export function shapeName(id: number): ShapeName {
  if (!Number.isInteger(id) || id < 0 || id >= SHAPE_NAMES.length) throw invalid(id);
  return SHAPE_NAMES[id];
}

