/**
 * Every failure the library reports is a FaceReshapeError with a stable `code`.
 * The codes of the cloud contract (section 5) keep their HTTP-like status; native
 * codes map to 500 when they reach the compat envelope.
 */
export const ERROR_STATUS = {
  MISSING_PARAMETERS: 400,
  ERROR_INVALID_PARAMETER: 400,
  FILE_DECODING_FAILURE: 400,
  FILE_SIZE_EXCEEDS_LIMIT: 413,
  UNSUPPORTED_FILE_TYPES: 415,
  UNSUPPORTED_PARAMETER_VALUES: 422,
  ERROR_LOW_RESOLUTION: 422,
  ERROR_HIGH_RESOLUTION: 422,
  ERROR_NO_FACE_IN_FILE: 422,
  SERVICE_INTERNAL_ERROR: 500,
  // Native-only codes.
  WEBGPU_UNAVAILABLE: 500,
  DEVICE_LOST: 500,
  CLOSED: 500,
  MODEL_LOAD_FAILED: 500,
  DETECTOR_LOST: 500,
  IMAGE_TOO_LARGE: 422,
} as const;

export type FaceReshapeErrorCode = keyof typeof ERROR_STATUS;

export class FaceReshapeError extends Error {
  readonly code: FaceReshapeErrorCode;
  readonly status: number;
  constructor(code: FaceReshapeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaceReshapeError';
    this.code = code;
    this.status = ERROR_STATUS[code];
  }
}

export function isFaceReshapeError(e: unknown): e is FaceReshapeError {
  return e instanceof FaceReshapeError;
}
