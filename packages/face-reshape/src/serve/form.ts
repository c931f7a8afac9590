import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import {
  checkCloudImage,
  checkCloudUpload,
  envelopeFromError,
  FaceReshapeError,
  parseEditFields,
  parseFacialAestheticsRequest,
  serverErrorEnvelope,
  CLOUD_LIMITS,
  type Edit,
  type FacialAestheticsEnvelope,
} from 'webgpu-face-reshape/compat';
import type { PoolJob } from './pool.js';

/** Reading the cloud's multipart form from a request, and the checks on it that need no decoding. */

export interface ParsedForm {
  image?: Buffer | string | Array<Buffer | string>;
  shape_type?: string | string[];
  strength?: string | string[];
  edit: string[];
  /** Names of file fields other than `image`, drained and ignored. */
  otherFiles: string[];
}

export class FormError extends Error {
  constructor(
    readonly envelope: FacialAestheticsEnvelope,
    readonly extraHeaders: Record<string, string> = {},
  ) {
    super(envelope.error_msg);
  }
}

export const MB = 1024 * 1024;
/** Most bytes of an unwanted body read and thrown away after an early answer; past it the socket is closed. */
export const DRAIN_LIMIT = 64 * MB;

export function discardBody(raw: IncomingMessage, limit: number): void {
  if (raw.readableEnded || raw.destroyed) return;
  let n = 0;
  raw.unpipe(); // the multipart parser, if still attached: it would hold back the stream
  raw.on('data', (chunk: Buffer) => {
    n += chunk.length;
    if (n > limit) raw.socket?.destroy();
  });
  raw.resume();
}

function add<T>(prev: T | T[] | undefined, v: T): T | T[] {
  if (prev === undefined) return v;
  return Array.isArray(prev) ? [...prev, v] : [prev, v];
}

/**
 * Streams the multipart body: the first `image` file is kept (at most 3 MB: a larger one is answered
 * 413 as soon as its 3 MB + 1st byte arrives, 415 if its first bytes are not JPEG/PNG/BMP), files under
 * other names are drained, text fields are collected. Limits: 4 files, 40 fields of 4 KB, 48 parts.
 */
export async function readForm(req: FastifyRequest, timeoutMs: number): Promise<ParsedForm> {
  const form: ParsedForm = { edit: [], otherFiles: [] };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FormError(serverErrorEnvelope('REQUEST_TIMEOUT', `The request body did not arrive within ${Math.round(timeoutMs / 1000)} s.`))),
      timeoutMs,
    );
  });
  const reading = (async () => {
    const tooMany = (what: string) =>
      new FormError(envelopeFromError(new FaceReshapeError('INVALID_ARGUMENT', `Too many ${what} in the form; send one file (image) and the fields shape_type, strength (and optionally edit).`)));
    try {
      for await (const part of req.parts()) {
        if (part.type === 'file') {
          if (part.fieldname !== 'image') {
            form.otherFiles.push(part.fieldname.slice(0, 40));
            part.file.resume();
            await new Promise<void>((r) => (part.file.readableEnded ? r() : part.file.once('end', r).once('close', r)));
            continue;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of part.file) {
            chunks.push(chunk as Buffer);
            size += (chunk as Buffer).length;
            if (part.file.truncated || size > CLOUD_LIMITS.maxBytes) break;
          }
          if (part.file.truncated || size > CLOUD_LIMITS.maxBytes) {
            // Refused while it streams, in the cloud's order: the file type before its size.
            try {
              checkCloudUpload(Buffer.concat(chunks).subarray(0, 512), size);
            } catch (e) {
              throw new FormError(envelopeFromError(e));
            }
          }
          form.image = add(form.image, Buffer.concat(chunks));
        } else {
          if (part.valueTruncated) throw new FormError(envelopeFromError(new FaceReshapeError('INVALID_ARGUMENT', `The field ${part.fieldname.slice(0, 40)} is longer than 4 KB.`)));
          const value = String(part.value);
          if (part.fieldname === 'shape_type') form.shape_type = add(form.shape_type, value);
          else if (part.fieldname === 'strength') form.strength = add(form.strength, value);
          else if (part.fieldname === 'edit') form.edit.push(value);
          else if (part.fieldname === 'image') form.image = add(form.image, value);
          // other fields are ignored, as the cloud ignored them
        }
      }
    } catch (e) {
      if (e instanceof FormError) throw e;
      const code = (e as { code?: string }).code;
      if (code === 'FST_FILES_LIMIT') throw tooMany('files');
      if (code === 'FST_FIELDS_LIMIT') throw tooMany('fields');
      if (code === 'FST_PARTS_LIMIT') throw tooMany('parts');
      if (code === 'FST_PROTO_VIOLATION') throw new FormError(envelopeFromError(new FaceReshapeError('INVALID_ARGUMENT', 'A field name is not allowed.')));
      throw e;
    }
    return form;
  })();
  reading.catch(() => {}); // after a timeout the reader fails later, when the socket closes
  try {
    return await Promise.race([reading, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The cloud's checks that need no decoding, in its order; throws FaceReshapeError. */
export function checkForm(form: ParsedForm): PoolJob {
  const edits: Edit[] = parseEditFields(form.edit);
  if (Array.isArray(form.image)) {
    const files = form.image.filter((v) => typeof v !== 'string').length;
    throw new FaceReshapeError('INVALID_ARGUMENT', `Send exactly one image; the form has ${form.image.length} image fields${files ? ` (${files} of them files)` : ''}.`);
  }
  let image: Buffer | string | undefined = form.image;
  if (image === undefined && form.otherFiles.length) {
    throw new FaceReshapeError(
      'MISSING_ARGUMENT',
      `Missing \`image\`: the form has a file under ${form.otherFiles.map((n) => JSON.stringify(n)).join(', ')}; send it in the field named image.`,
    );
  }
  const params = parseFacialAestheticsRequest({ image, shape_type: form.shape_type, strength: form.strength }, { editsGiven: edits.length > 0 });
  image = params.image as Buffer;
  checkCloudImage(image);
  return { image, shape_type: form.shape_type, strength: form.strength, edits };
}
