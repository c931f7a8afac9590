/**
 * Every failure the library reports is a FaceReshapeError with a stable `code` that names its
 * cause. The cloud-compatible API (`webgpu-face-reshape/compat`) maps each code to the cloud's
 * code and HTTP status (src/compat/envelope.ts).
 */
export const ERROR_CODES = [
  /** A required argument or option is absent. */
  'MISSING_ARGUMENT',
  /** An argument or option has the wrong type (a strength that is not a number, a source with no pixels). */
  'INVALID_ARGUMENT',
  /** An argument or option is outside its values (a strength beyond [-1, 1], an unknown shape). */
  'OUT_OF_RANGE',
  /** Encoded bytes that are not an accepted image type (judged from the bytes). */
  'UNSUPPORTED_FORMAT',
  /** Encoded bytes over a byte limit (the cloud's 3 MB; the native API has none). */
  'FILE_TOO_LARGE',
  /** A file of an accepted type that does not decode: truncated or corrupt. */
  'DECODE_FAILED',
  /** A side under a minimum (the cloud's 11 px; the native API has none). */
  'IMAGE_TOO_SMALL',
  /** Sides or pixels over a limit, read from the header before decoding (natively: the GPU's texture size). */
  'IMAGE_TOO_LARGE',
  /** No face in the image: only the cloud-compatible API fails on it; the native API returns `faces: []`. */
  'NO_FACE',
  'WEBGPU_UNAVAILABLE',
  /** The GPU device was lost (a reset, a GPU-process crash, or the app's own device destroyed). */
  'DEVICE_LOST',
  /** The face detector's WebGL context was lost and could not be rebuilt yet. */
  'DETECTOR_LOST',
  'MODEL_LOAD_FAILED',
  /** The object was closed. */
  'CLOSED',
  /** Anything else: a bug or an environment the library did not expect; the message says what. */
  'INTERNAL',
] as const;

export type FaceReshapeErrorCode = (typeof ERROR_CODES)[number];

export class FaceReshapeError extends Error {
  readonly code: FaceReshapeErrorCode;
  constructor(code: FaceReshapeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaceReshapeError';
    this.code = code;
  }
}

export function isFaceReshapeError(e: unknown): e is FaceReshapeError {
  return e instanceof FaceReshapeError;
}
