import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
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
  type ServerCode,
} from 'webgpu-face-reshape/compat';
import { PagePool, QueueFullError, type PagePoolOptions, type PoolJob } from './pool.js';
import { ResultStore, type ResultStoreOptions } from './store.js';
// [scale-out] shared results in Redis, probes and metrics (issue 18)
import { RedisResultStore, StoreUnavailableError } from './redis-store.js';
import { registerHealth } from './health.js';

/** The cloud's path, answered unchanged. */
export const API_PATH = '/api/portrait/effects/face-tidyup';
export const RESULTS_PREFIX = '/results/';
export const API_KEY_HEADER = 'ailabapi-api-key';

export interface ServeOptions {
  /** Interface to bind; default 127.0.0.1 (local only). */
  host?: string;
  /** Port; default 8787; 0 picks a free one. */
  port?: number;
  /** Base of `data.image_url` (e.g. https://faces.example.com behind a proxy); default: the address bound (the Host header when bound to a wildcard). */
  publicUrl?: string;
  /** When set, every API request must carry it in the `ailabapi-api-key` header (compared in constant time). */
  apiKey?: string;
  /** Origins allowed to call from a browser (CORS); default none (no CORS headers at all). */
  corsOrigins?: string[];
  /** Pages reshaping in parallel (default 2) and requests allowed to wait for one (default 16). */
  pool?: number;
  queue?: number;
  /** Uploads received at once (default 32); more are answered 503 before their body is read. */
  maxUploads?: number;
  /** Longest time to receive a request body, ms (default 30 s): 408 after it. */
  uploadTimeoutMs?: number;
  /** Longest a reshape may run, ms (default 120 s). */
  jobTimeoutMs?: number;
  /** Result images: TTL (default 24 h), cap on bytes kept (default 256 MiB), folder (default: memory). */
  resultTtlMs?: number;
  resultsMaxBytes?: number;
  resultsDir?: string;
  /** [scale-out] Keep results in this Redis (redis://host:port/db) instead, shared by every instance using it. */
  resultsRedis?: string;
  /** Seconds sent in Retry-After with 503 (default 2). */
  retryAfterS?: number;
  backend?: 'webgpu' | 'cpu';
  modelAssetBuffer?: Buffer;
  /** One line per request on stderr (method, route pattern, status, time): no URLs, fields or image content. Default off. */
  log?: boolean;
  /** Warnings (e.g. no WebGPU → CPU warp); default: stderr. */
  onWarning?: (message: string) => void;
}

export interface ServeHandle {
  /** Base URL, e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  app: FastifyInstance;
  pool: PagePool;
  store: ResultStore | RedisResultStore;
  /** Stops accepting requests (new ones get 503), finishes those in flight, then closes Chromium. */
  close(): Promise<void>;
}

interface ParsedForm {
  image?: Buffer | string | Array<Buffer | string>;
  shape_type?: string | string[];
  strength?: string | string[];
  edit: string[];
  /** Names of file fields other than `image`, drained and ignored. */
  otherFiles: string[];
}

class FormError extends Error {
  constructor(
    readonly envelope: FacialAestheticsEnvelope,
    readonly extraHeaders: Record<string, string> = {},
  ) {
    super(envelope.error_msg);
  }
}

const MB = 1024 * 1024;
/** Most bytes of an unwanted body read and thrown away after an early answer; past it the socket is closed. */
const DRAIN_LIMIT = 64 * MB;

function discardBody(raw: IncomingMessage, limit: number): void {
  if (raw.readableEnded || raw.destroyed) return;
  let n = 0;
  raw.unpipe(); // the multipart parser, if still attached: it would hold back the stream
  raw.on('data', (chunk: Buffer) => {
    n += chunk.length;
    if (n > limit) raw.socket?.destroy();
  });
  raw.resume();
}

export async function startServe(options: ServeOptions = {}): Promise<ServeHandle> {
  const host = options.host ?? '127.0.0.1';
  const uploadTimeoutMs = options.uploadTimeoutMs ?? 30_000;
  const retryAfter = String(options.retryAfterS ?? 2);
  const maxUploads = options.maxUploads ?? 32;
  const warn = options.onWarning ?? ((m: string) => process.stderr.write(`face-reshape serve: warning: ${m}\n`));
  const keyDigest = options.apiKey ? digest(options.apiKey) : null;
  const corsOrigins = (options.corsOrigins ?? []).filter(Boolean);

  const store = options.resultsRedis // [scale-out]
    ? new RedisResultStore({ url: options.resultsRedis, ttlMs: options.resultTtlMs, maxBytes: options.resultsMaxBytes })
    : new ResultStore({ ttlMs: options.resultTtlMs, maxBytes: options.resultsMaxBytes, dir: options.resultsDir } satisfies ResultStoreOptions);
  const poolOptions: PagePoolOptions = { size: options.pool, maxQueue: options.queue, jobTimeoutMs: options.jobTimeoutMs, backend: options.backend, modelAssetBuffer: options.modelAssetBuffer, onWarning: warn };
  let pool: PagePool;
  try {
    pool = await PagePool.start(poolOptions);
  } catch (e) {
    await store.close();
    throw e;
  }

  let uploads = 0;
  let closing = false;
  /** http://address:port once listening (the address stays known while closing). */
  let boundUrl = '';

  const app = Fastify({
    logger: false,
    // Node's own limits as a backstop behind the upload timer: the whole request within the upload
    // timeout (+5 s), headers within 10 s, checked every second; sockets capped.
    serverFactory: (handler) => {
      const server: Server = createServer(
        { requestTimeout: uploadTimeoutMs + 5000, headersTimeout: Math.min(10_000, uploadTimeoutMs + 5000), connectionsCheckingInterval: 1000, keepAliveTimeout: 5000 },
        handler as (req: IncomingMessage, res: ServerResponse) => void,
      );
      server.maxConnections = 512;
      return server;
    },
    bodyLimit: 64 * 1024,
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });

  // No body parsers but multipart: JSON, text and anything else are not read at all.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  await app.register(multipart, {
    // One byte past the limit is read, so an upload known to be too large is one checkCloudUpload() refuses.
    limits: { fileSize: CLOUD_LIMITS.maxBytes + 1, files: 4, fields: 40, parts: 48, fieldSize: 4096, fieldNameSize: 100, headerPairs: 50 },
    throwFileSizeLimit: false,
  });
  if (corsOrigins.length) {
    await app.register(cors, {
      origin: (origin, cb) => cb(null, origin !== undefined && corsOrigins.includes(origin)),
      methods: ['POST', 'GET', 'HEAD'],
      allowedHeaders: ['content-type', API_KEY_HEADER],
      maxAge: 600,
    });
  }

  if (options.log) {
    app.addHook('onResponse', async (req, reply) => {
      process.stderr.write(`${new Date().toISOString()} ${req.method} ${req.routeOptions.url ?? '(no route)'} ${reply.statusCode} ${Math.round(reply.elapsedTime)} ms\n`);
    });
  }

  /**
   * Sends an envelope. When the body was not read to its end (answered early: 413, 401, 503, …),
   * the rest is read and discarded so that the client, still sending, gets to read the answer
   * (closing at once makes many clients fail with EPIPE); past 64 MB the connection is cut.
   * A timed-out (stalled) upload is answered with Connection: close instead.
   */
  function send(req: FastifyRequest, reply: FastifyReply, envelope: FacialAestheticsEnvelope, headers: Record<string, string> = {}) {
    const status = envelope.error_code === 0 ? 200 : envelope.error_code;
    if (!req.raw.readableEnded) {
      if (status === 408) reply.header('connection', 'close');
      else discardBody(req.raw, DRAIN_LIMIT);
    }
    return reply.code(status).headers({ 'cache-control': 'no-store', ...headers }).type('application/json; charset=utf-8').send(JSON.stringify(envelope));
  }
  const fail = (req: FastifyRequest, reply: FastifyReply, code: ServerCode, message: string, headers: Record<string, string> = {}) => send(req, reply, serverErrorEnvelope(code, message), headers);

  function baseUrl(req: FastifyRequest, bound: string): string {
    if (options.publicUrl) return options.publicUrl.replace(/\/+$/, '');
    if (host === '0.0.0.0' || host === '::') {
      const h = req.headers.host ?? '';
      if (/^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(h)) return `http://${h}`;
    }
    return bound;
  }

  app.post(API_PATH, {
    onRequest: async (req, reply) => {
      if (closing) return fail(req, reply, 'SERVICE_BUSY', 'The server is shutting down; retry shortly (on another instance).', { 'retry-after': retryAfter });
      if (keyDigest) {
        const given = req.headers[API_KEY_HEADER];
        if (typeof given !== 'string' || !timingSafeEqual(digest(given), keyDigest)) {
          return fail(req, reply, 'INVALID_API_KEY', `Send the server's API key in the ${API_KEY_HEADER} header.`);
        }
      }
    },
    handler: async (req, reply) => {
      if (!req.isMultipart()) {
        const type = req.headers['content-type'];
        return send(
          req,
          reply,
          envelopeFromError(
            new FaceReshapeError(
              'MISSING_ARGUMENT',
              `The request must be multipart/form-data with the fields image (a file), shape_type and strength; got ${type ? `Content-Type ${JSON.stringify(type.slice(0, 60))}` : 'no Content-Type'}.`,
            ),
          ),
        );
      }
      if (pool.full) return fail(req, reply, 'SERVICE_BUSY', `All ${pool.size} reshapers are busy and ${pool.maxQueue} requests are waiting; retry after ${retryAfter} s.`, { 'retry-after': retryAfter });
      // [scale-out] no upload is read while the shared results store is down: its result could not be kept.
      if (store instanceof RedisResultStore && !store.available) return fail(req, reply, 'SERVICE_BUSY', `The results store is unreachable; retry after ${retryAfter} s.`, { 'retry-after': retryAfter });
      if (uploads >= maxUploads) return fail(req, reply, 'SERVICE_BUSY', `${maxUploads} uploads are already being received; retry after ${retryAfter} s.`, { 'retry-after': retryAfter });

      let form: ParsedForm;
      uploads++;
      try {
        form = await readForm(req, uploadTimeoutMs);
      } catch (e) {
        if (e instanceof FormError) return send(req, reply, e.envelope, e.extraHeaders);
        return send(req, reply, envelopeFromError(new FaceReshapeError('MISSING_ARGUMENT', `The multipart body could not be read (${(e as Error).message}). Send multipart/form-data with the fields image, shape_type and strength.`)));
      } finally {
        uploads--;
      }

      // Everything checkable without decoding, in Node, in the cloud's order; the pool only sees plausible requests.
      let job: PoolJob;
      try {
        job = checkForm(form);
      } catch (e) {
        return send(req, reply, envelopeFromError(e));
      }
      let result;
      try {
        result = await pool.submit(job);
      } catch (e) {
        if (e instanceof QueueFullError) return fail(req, reply, 'SERVICE_BUSY', `All ${pool.size} reshapers are busy and ${e.queued} requests are waiting; retry after ${retryAfter} s.`, { 'retry-after': retryAfter });
        return send(req, reply, envelopeFromError(e));
      }
      const env = result.envelope;
      if (env.error_code === 0 && result.output && result.type) {
        try {
          const name = await store.put(result.output, result.type);
          env.data = { image_url: `${baseUrl(req, boundUrl)}${RESULTS_PREFIX}${name}` };
        } catch (e) {
          // [scale-out] an unreachable or full shared store: the client retries (here or on another instance).
          if (e instanceof StoreUnavailableError) return fail(req, reply, 'SERVICE_BUSY', `The result could not be kept (${e.message}); retry after ${retryAfter} s.`, { 'retry-after': retryAfter });
          return send(req, reply, envelopeFromError(new FaceReshapeError('INTERNAL', `The image was reshaped but could not be stored: ${(e as Error).message}.`)));
        }
      }
      return send(req, reply, env);
    },
  });

  app.route({
    method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'],
    url: API_PATH,
    handler: (req, reply) => fail(req, reply, 'METHOD_NOT_ALLOWED', `Use POST ${API_PATH} with multipart/form-data.`, { allow: 'POST' }),
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: `${RESULTS_PREFIX}:name`,
    handler: async (req, reply) => {
      const { name } = req.params as { name: string };
      let r;
      try {
        r = await store.get(name);
      } catch (e) {
        // [scale-out] the result may well exist: say "later", never "not found".
        if (e instanceof StoreUnavailableError) return fail(req, reply, 'SERVICE_BUSY', `The results store is unreachable; retry after ${retryAfter} s.`, { 'retry-after': retryAfter });
        throw e;
      }
      if (!r) return fail(req, reply, 'NOT_FOUND', 'No such result: the URL is wrong or the result expired.');
      const maxAge = Math.max(0, Math.floor((r.expires - Date.now()) / 1000));
      reply.headers({
        'content-type': r.type,
        'content-length': String(r.size),
        'cache-control': `private, max-age=${maxAge}`,
        expires: new Date(r.expires).toUTCString(),
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'",
      });
      return reply.send(req.method === 'HEAD' ? undefined : r.bytes);
    },
  });

  app.setNotFoundHandler((req, reply) => fail(req, reply, 'NOT_FOUND', `Nothing is served at this path; the API is POST ${API_PATH}.`));
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    // Fastify-level failures (bad headers, …) still answer with an envelope; never the error's internals.
    if (err.statusCode === 413) return send(req, reply, envelopeFromError(new FaceReshapeError('FILE_TOO_LARGE', 'The request body is too large.')));
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return send(req, reply, envelopeFromError(new FaceReshapeError('MISSING_ARGUMENT', `The request could not be read: ${err.message}`)));
    }
    return send(req, reply, envelopeFromError(err));
  });

  registerHealth(app, { pool, store, closing: () => closing, apiPath: API_PATH, resultsPrefix: RESULTS_PREFIX }); // [scale-out]
  await app.listen({ host, port: options.port ?? 8787 });
  const addr = app.server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  boundUrl = url;

  let closePromise: Promise<void> | null = null;
  return {
    url,
    port: addr.port,
    app,
    pool,
    store,
    close() {
      closePromise ??= (async () => {
        closing = true;
        await app.close(); // waits for in-flight requests (their jobs included); idle sockets are closed
        await pool.idle();
        await pool.close();
        await store.close();
      })();
      return closePromise;
    },
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
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
async function readForm(req: FastifyRequest, timeoutMs: number): Promise<ParsedForm> {
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
function checkForm(form: ParsedForm): PoolJob {
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
