import { normalizeEdits, type Edit } from '../shapes/edits.js';
import { FaceReshapeError } from '../errors.js';
import { DECIMAL } from './params.js';

/** Most `edit` fields one request may carry (22 shapes; a few repeats are harmless, hundreds are abuse). */
export const MAX_EDIT_FIELDS = 32;


/**
 * The multi-edit extension of the drop-in endpoint and the in-page route: repeated form fields
 * `edit=NAME:X` (or `NAME=X`), NAME a shape name or id 0–21, X a signed strength in [-1, 1]. They
 * are applied in the same single warp pass as `shape_type`/`strength`; with edits given, those two
 * may be left out. Pure (no DOM, no Node APIs): shared by the server and the browser route.
 */
export function parseEditField(value: string): Edit {
  const m = /^\s*([A-Za-z_0-9]+)\s*[:=]\s*(\S+)\s*$/.exec(value);
  if (!m) {
    throw new FaceReshapeError('INVALID_ARGUMENT',
      `An edit field must look like NAME:X (e.g. edit=slim_face:0.6 or edit=8:-0.3); got ${JSON.stringify(value.slice(0, 40))}.`,
    );
  }
  if (!DECIMAL.test(m[2])) {
    throw new FaceReshapeError('INVALID_ARGUMENT', `edit ${m[1]}: the strength ${JSON.stringify(m[2].slice(0, 20))} is not a number; use a number in [-1, 1].`);
  }
  const edit = { shape: /^\d+$/.test(m[1]) ? Number(m[1]) : m[1], strength: Number(m[2]) } as Edit;
  normalizeEdits(edit); // an unknown shape or a strength outside [-1, 1]: OUT_OF_RANGE (the cloud's 422)
  return edit;
}

/** All `edit` fields of a request, validated. */
export function parseEditFields(values: readonly string[]): Edit[] {
  if (values.length > MAX_EDIT_FIELDS) {
    throw new FaceReshapeError('INVALID_ARGUMENT', `At most ${MAX_EDIT_FIELDS} edit fields per request; got ${values.length}.`);
  }
  return values.map(parseEditField);
}
