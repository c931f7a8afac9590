import { FaceReshapeError, type FaceReshapeErrorCode } from '../errors.js';

/** The cloud's response envelope (contract section 4), field for field. */
export interface FacialAestheticsEnvelope {
  request_id: string;
  log_id: string;
  /** 0 on success; on error the HTTP-like status (400, 413, 415, 422, 500). */
  error_code: number;
  /** "" on success; on error the code, the same as `error_detail.code`. */
  error_code_str: string;
  /** "" on success; on error what was wrong and how to fix it (the same text as `error_detail.message`). */
  error_msg: string;
  error_detail: {
    /** 200 on success, else the HTTP-like status. */
    status_code: number;
    code: string;
    /** What the code means, in plain words ("" on success). */
    code_message: string;
    /** What exactly was wrong with this request and how to fix it ("" on success). */
    message: string;
  };
  /** Present on success only. */
  data?: { image_url: string };
}

/** The codes a compat envelope can carry (contract section 5). */
export const COMPAT_CODES = [
  'MISSING_PARAMETERS',
  'ERROR_INVALID_PARAMETER',
  'FILE_DECODING_FAILURE',
  'FILE_SIZE_EXCEEDS_LIMIT',
  'UNSUPPORTED_FILE_TYPES',
  'UNSUPPORTED_PARAMETER_VALUES',
  'ERROR_LOW_RESOLUTION',
  'ERROR_HIGH_RESOLUTION',
  'ERROR_NO_FACE_IN_FILE',
  'SERVICE_INTERNAL_ERROR',
] as const;
export type CompatCode = (typeof COMPAT_CODES)[number];

/** HTTP-like status of each compat code (contract section 5). */
export const COMPAT_STATUS: Record<CompatCode, number> = {
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
};

/**
 * The cloud's code for each native cause. Causes the cloud had no code for (a lost device, a
 * model that did not load, …) are its 500 SERVICE_INTERNAL_ERROR, with the native code kept in
 * the message.
 */
export const CLOUD_CODE_OF: Record<FaceReshapeErrorCode, CompatCode> = {
  MISSING_ARGUMENT: 'MISSING_PARAMETERS',
  INVALID_ARGUMENT: 'ERROR_INVALID_PARAMETER',
  OUT_OF_RANGE: 'UNSUPPORTED_PARAMETER_VALUES',
  UNSUPPORTED_FORMAT: 'UNSUPPORTED_FILE_TYPES',
  FILE_TOO_LARGE: 'FILE_SIZE_EXCEEDS_LIMIT',
  DECODE_FAILED: 'FILE_DECODING_FAILURE',
  IMAGE_TOO_SMALL: 'ERROR_LOW_RESOLUTION',
  IMAGE_TOO_LARGE: 'ERROR_HIGH_RESOLUTION',
  NO_FACE: 'ERROR_NO_FACE_IN_FILE',
  WEBGPU_UNAVAILABLE: 'SERVICE_INTERNAL_ERROR',
  DEVICE_LOST: 'SERVICE_INTERNAL_ERROR',
  DETECTOR_LOST: 'SERVICE_INTERNAL_ERROR',
  MODEL_LOAD_FAILED: 'SERVICE_INTERNAL_ERROR',
  CLOSED: 'SERVICE_INTERNAL_ERROR',
  INTERNAL: 'SERVICE_INTERNAL_ERROR',
};

/** `code_message`: what each code means, in plain words. */
export const CODE_MESSAGES: Record<CompatCode, string> = {
  MISSING_PARAMETERS: 'A required field is missing: the request needs image, shape_type and strength.',
  ERROR_INVALID_PARAMETER: 'A field has the wrong type: shape_type must be an integer 0–21 and strength a number in [0, 1].',
  FILE_DECODING_FAILURE: 'The image file could not be decoded; it is truncated or corrupt.',
  FILE_SIZE_EXCEEDS_LIMIT: 'The image file is larger than 3 MB.',
  UNSUPPORTED_FILE_TYPES: 'The file is not a JPEG, PNG or BMP image.',
  UNSUPPORTED_PARAMETER_VALUES: 'A value is out of range: shape_type must be 0–21 and strength between 0 and 1.',
  ERROR_LOW_RESOLUTION: 'The image is too small: each side must be larger than 10 px.',
  ERROR_HIGH_RESOLUTION: 'The image is too large: each side must be smaller than 2000 px.',
  ERROR_NO_FACE_IN_FILE: 'No face was found in the image.',
  SERVICE_INTERNAL_ERROR: 'The reshaper failed while processing a valid request.',
};

export function uuid(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  // Insecure contexts (plain http on a LAN address) have crypto.getRandomValues but not randomUUID.
  const b = new Uint8Array(16);
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A success envelope; `image_url` is filled in by whoever publishes the image (blob: or file: URL). */
export function successEnvelope(imageUrl = ''): FacialAestheticsEnvelope {
  return {
    request_id: uuid(),
    log_id: uuid(),
    error_code: 0,
    error_code_str: '',
    error_msg: '',
    error_detail: { status_code: 200, code: '', code_message: '', message: '' },
    data: { image_url: imageUrl },
  };
}

/** An error envelope: error_code = status_code = the code's status; no `data`. */
export function errorEnvelope(code: CompatCode, message: string): FacialAestheticsEnvelope {
  return statusEnvelope(COMPAT_STATUS[code], code, CODE_MESSAGES[code], message);
}

/** The error envelope's shape for any status and code (the drop-in server adds HTTP-level codes). */
export function statusEnvelope(status: number, code: string, codeMessage: string, message: string): FacialAestheticsEnvelope {
  return {
    request_id: uuid(),
    log_id: uuid(),
    error_code: status,
    error_code_str: code,
    error_msg: message,
    error_detail: { status_code: status, code, code_message: codeMessage, message },
  };
}

/**
 * Any failure as an envelope: a FaceReshapeError by its cloud code (CLOUD_CODE_OF), a native cause
 * the cloud had no code for as 500 SERVICE_INTERNAL_ERROR naming that cause, anything else as 500.
 */
export function envelopeFromError(e: unknown): FacialAestheticsEnvelope {
  if (e instanceof FaceReshapeError) {
    const code = CLOUD_CODE_OF[e.code];
    return errorEnvelope(code, code === 'SERVICE_INTERNAL_ERROR' && e.code !== 'INTERNAL' ? `${e.code}: ${e.message}` : e.message);
  }
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return errorEnvelope('SERVICE_INTERNAL_ERROR', `Unexpected failure while reshaping: ${what}. The request was valid; retry it, and report the problem if it persists.`);
}
