import { FaceReshapeError } from '../../errors.js';
import type { WorkerError } from './protocol.js';

/** An error as it crosses to the page (FaceReshapeError's code kept, anything else INTERNAL). */
export function toWorkerError(e: unknown): WorkerError {
  if (e instanceof FaceReshapeError) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}
