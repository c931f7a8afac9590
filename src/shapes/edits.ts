import { FaceReshapeError } from '../errors.js';
import { shapeId, shapeName, type ShapeName } from './names.js';

/** One edit: a shape (seed id 0–21 or name) and a signed strength in [-1, 1] (0 = identity, negative = opposite direction). */
export interface Edit {
  shape: ShapeName | number;
  strength: number;
}

export interface NormalizedEdit {
  shape: ShapeName;
  id: number;
  strength: number;
}

/** What reshape() takes: one `{ shape, strength }` or several `{ edits }`, applied in one pass. */
export type EditRequest = Edit | { edits: readonly Edit[] };

/** Validates and normalizes edits; zero strengths are dropped (they are the identity). */
export function normalizeEdits(req: EditRequest): NormalizedEdit[] {
  const list = 'edits' in req ? req.edits : [req];
  if (!Array.isArray(list)) throw new FaceReshapeError('INVALID_ARGUMENT', '`edits` must be an array of { shape, strength }.');
  const out: NormalizedEdit[] = [];
  for (const e of list) {
    if (!e || typeof e !== 'object') throw new FaceReshapeError('INVALID_ARGUMENT', 'Each edit must be an object { shape, strength }.');
    if (e.shape === undefined || e.strength === undefined) {
      throw new FaceReshapeError('MISSING_ARGUMENT', 'Each edit needs both `shape` (0–21 or a shape name) and `strength` (a number in [-1, 1]).');
    }
    if (typeof e.strength !== 'number' || !Number.isFinite(e.strength)) {
      throw new FaceReshapeError('INVALID_ARGUMENT', `strength must be a finite number in [-1, 1]; got ${JSON.stringify(e.strength)}.`);
    }
    if (e.strength < -1 || e.strength > 1) {
      throw new FaceReshapeError('OUT_OF_RANGE', `strength must lie in [-1, 1]; got ${e.strength}.`);
    }
    const id = shapeId(e.shape as ShapeName | number);
    if (e.strength !== 0) out.push({ shape: shapeName(id), id, strength: e.strength });
  }
  return out;
}
