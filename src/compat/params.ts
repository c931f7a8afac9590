import { FaceReshapeError } from '../errors.js';
import { SHAPE_NAMES } from '../shapes/names.js';

/** What the cloud took as multipart fields. */
export interface FacialAestheticsRequest {
  /** The encoded image file: File, Blob, ArrayBuffer or Uint8Array (JPEG, PNG or BMP, ≤ 3 MB). */
  image?: unknown;
  /** Integer 0–21, as a number or a numeric string ("8"). */
  shape_type?: unknown;
  /** Number in [0, 1], as a number or a numeric string ("0.5"). */
  strength?: unknown;
}

export type EncodedImage = Blob | ArrayBuffer | Uint8Array;

export interface ParsedParams {
  image: EncodedImage;
  /** Absent only when the caller supplies its own edits (CLI `--edit` without `--shape`). */
  shapeType?: number;
  strength?: number;
}

/** A decimal number as a form field carries it: digits, an optional fraction and exponent, no hex, no spaces inside. */
export const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A field counts as missing when absent (undefined) or an empty string, as an unfilled form field is sent. */
function isMissing(v: unknown): boolean {
  return v === undefined || (typeof v === 'string' && v.trim() === '');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  return `a value of type ${typeof v}`;
}

/** A number from a number or a decimal string; undefined when it is neither (NaN, "abc", null, arrays, booleans, "0x8"). */
function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && DECIMAL.test(v.trim())) return Number(v.trim());
  return undefined;
}

function isEncodedImage(v: unknown): v is EncodedImage {
  return (typeof Blob !== 'undefined' && v instanceof Blob) || v instanceof ArrayBuffer || v instanceof Uint8Array;
}

export interface ParseOptions {
  /** Accept shape names (`slim_face`) besides ids; the CLI does, the cloud did not. */
  allowShapeNames?: boolean;
  /** The caller brings its own edits: shape_type and strength may both be absent. */
  editsGiven?: boolean;
}

/**
 * Validates the three fields in the contract's order: all missing fields (MISSING_ARGUMENT, the
 * cloud's 400 MISSING_PARAMETERS), then types (INVALID_ARGUMENT, 400 ERROR_INVALID_PARAMETER),
 * then ranges (OUT_OF_RANGE, 422 UNSUPPORTED_PARAMETER_VALUES).
 * The image bytes themselves are checked afterwards (validate.ts).
 */
export function parseFacialAestheticsRequest(req: unknown, options: ParseOptions = {}): ParsedParams {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) {
    throw new FaceReshapeError('MISSING_ARGUMENT',
      `The request must be an object { image, shape_type, strength }; got ${describe(req)}. Pass the image file and both numbers.`,
    );
  }
  const r = req as FacialAestheticsRequest;
  const pairOptional = options.editsGiven === true && isMissing(r.shape_type) && isMissing(r.strength);
  const missing = (['image', 'shape_type', 'strength'] as const).filter((k) => isMissing(r[k]) && !(pairOptional && k !== 'image'));
  if (missing.length) {
    const list = missing.map((k) => `\`${k}\``).join(', ');
    throw new FaceReshapeError('MISSING_ARGUMENT',
      `Missing ${list}. Send all three fields: image (a JPEG, PNG or BMP file), shape_type (an integer 0–21) and strength (a number from 0 to 1).`,
    );
  }

  if (!isEncodedImage(r.image)) {
    throw new FaceReshapeError('INVALID_ARGUMENT',
      `image must be the file itself (a File, Blob, ArrayBuffer or Uint8Array of a JPEG, PNG or BMP); got ${describe(r.image)}.`,
    );
  }
  if (pairOptional) return { image: r.image };

  let shapeType = toNumber(r.shape_type);
  if (shapeType === undefined && options.allowShapeNames && typeof r.shape_type === 'string') {
    const i = (SHAPE_NAMES as readonly string[]).indexOf(r.shape_type.trim());
    if (i >= 0) shapeType = i;
  }
  if (shapeType === undefined || !Number.isInteger(shapeType)) {
    throw new FaceReshapeError('INVALID_ARGUMENT',
      `shape_type must be an integer from 0 to 21 (a number or a string such as "8"); got ${describe(r.shape_type)}.` +
        (options.allowShapeNames ? ` Shape names are accepted too: ${SHAPE_NAMES.join(', ')}.` : ''),
    );
  }
  const strength = toNumber(r.strength);
  if (strength === undefined) {
    throw new FaceReshapeError('INVALID_ARGUMENT',
      `strength must be a number from 0 to 1 (a number or a string such as "0.5"); got ${describe(r.strength)}.`,
    );
  }

  if (shapeType < 0 || shapeType > 21) {
    throw new FaceReshapeError('OUT_OF_RANGE', `shape_type ${shapeType} is out of range; use an integer from 0 to 21 (e.g. 2 = slim face, 8 = big eyes).`);
  }
  if (strength < 0 || strength > 1) {
    throw new FaceReshapeError('OUT_OF_RANGE', `strength ${strength} is out of range; use a number from 0 (no change) to 1 (strongest).`);
  }
  return { image: r.image, shapeType, strength };
}
