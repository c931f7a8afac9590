import { statusEnvelope, type FacialAestheticsEnvelope } from './envelope.js';

/**
 * Codes the drop-in server adds to the contract's table (section 5) for conditions of HTTP itself,
 * in the same envelope shape: error_code = status_code = the HTTP status, code = error_code_str.
 */
export const SERVER_CODES = {
  BAD_REQUEST: { status: 400, message: 'The HTTP request itself is malformed (its URL or headers).' },
  INVALID_API_KEY: { status: 401, message: 'The ailabapi-api-key header is missing or wrong.' },
  NOT_FOUND: { status: 404, message: 'Nothing is served at this path (result images expire after their TTL).' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This path does not answer that HTTP method.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request body did not arrive in time.' },
  URI_TOO_LONG: { status: 414, message: 'The URL is too long.' },
  MISDIRECTED_REQUEST: { status: 421, message: 'The Host header names a host this server does not answer for.' },
  TOO_MANY_REQUESTS: { status: 429, message: 'This client has too many requests open at once; retry after the Retry-After delay.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large.' },
  SERVICE_BUSY: { status: 503, message: 'The server is at capacity or shutting down; retry after the Retry-After delay.' },
} as const;
export type ServerCode = keyof typeof SERVER_CODES;

export function serverErrorEnvelope(code: ServerCode, message: string): FacialAestheticsEnvelope {
  const { status, message: codeMessage } = SERVER_CODES[code];
  return statusEnvelope(status, code, codeMessage, message);
}
