import { statusEnvelope, type FacialAestheticsEnvelope } from './envelope.js';

/**
 * Codes the drop-in server adds to the contract's table (section 5) for conditions of HTTP itself,
 * in the same envelope shape: error_code = status_code = the HTTP status, code = error_code_str.
 */
export const SERVER_CODES = {
  INVALID_API_KEY: { status: 401, message: 'The ailabapi-api-key header is missing or wrong.' },
  NOT_FOUND: { status: 404, message: 'Nothing is served at this path (result images expire after their TTL).' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This path does not answer that HTTP method.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request body did not arrive in time.' },
  SERVICE_BUSY: { status: 503, message: 'The server is at capacity or shutting down; retry after the Retry-After delay.' },
} as const;
export type ServerCode = keyof typeof SERVER_CODES;

export function serverErrorEnvelope(code: ServerCode, message: string): FacialAestheticsEnvelope {
  const { status, message: codeMessage } = SERVER_CODES[code];
  return statusEnvelope(status, code, codeMessage, message);
}
