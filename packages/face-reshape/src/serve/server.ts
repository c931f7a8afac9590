import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { envelopeFromError, FaceReshapeError, serverErrorEnvelope, CLOUD_LIMITS, type FacialAestheticsEnvelope, type ServerCode } from 'webgpu-face-reshape/compat';
import { checkForm, discardBody, DRAIN_LIMIT, FormError, readForm, type ParsedForm } from './form.js';
import { answerClientError, hostAllowList, limitConnectionsPerClient, MAX_URL_LENGTH, PerClient } from './http-policy.js';
import { PagePool, QueueFullError, type PagePoolOptions, type PoolJob, type PoolResult } from './pool.js';
import { ResultStore, StoreFullError, type ResultStoreOptions } from './store.js';
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
  /** Host names answered besides localhost, IP literals, the bound host and --public-url's host (others get 421). */
  allowHosts?: string[];
  /** When set, every API request must carry it in the `ailabapi-api-key` header (compared in constant time). */
  apiKey?: string;
  /** Origins allowed to call from a browser (CORS); default none (no CORS headers at all). */
  corsOrigins?: string[];
  /** Pages reshaping in parallel (default 2) and requests allowed to wait for one (default 16). */
  pool?: number;
  queue?: number;
  /** Uploads received at once (default 32); more are answered 503 before their body is read. */
  maxUploads?: number;
  /** Uploads one client address may have open at once (default 8); more are answered 429. */
  maxUploadsPerClient?: number;
  /** Sockets one client address may hold open (default 64); more are closed at once. */
  maxConnectionsPerClient?: number;
  /** Longest time to receive a request body, ms (default 30 s): 408 after it. */
  uploadTimeoutMs?: number;
  /** Longest a reshape may run, ms (default 120 s). */
  jobTimeoutMs?: number;
  /** Result images: TTL (default 24 h), cap on bytes kept (default 256 MiB), folder (default: memory), and the age below which none is dropped for room (default 10 min). */
  resultTtlMs?: number;
  resultsMaxBytes?: number;
  resultsDir?: string;
  /** [scale-out] Keep results in this Redis (redis://host:port/db) instead, shared by every instance using it. */
  resultsRedis?: string;
  resultMinLifetimeMs?: number;
  /** Seconds sent in Retry-After with 503 (default 2). */
  retryAfterS?: number;
  backend?: 'webgpu' | 'cpu';
  modelAssetBuffer?: Buffer;
  /** One line per request on stderr (method, route pattern, status, time): no URLs, fields or image content. Default off. */
  log?: boolean;
  /** Warnings (e.g. no WebGPU → CPU warp) and fault events (a page replaced, Chromium relaunched); default: stderr. */
  onWarning?: (message: string) => void;
  /** Chromium exited and could not be relaunched: the server cannot work any more. Default: print it and exit the process with code 1, for a supervisor to restart. */
  onFatal?: (error: Error) => void;
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

export async function startServe(options: ServeOptions = {}): Promise<ServeHandle> {
  const host = options.host ?? '127.0.0.1';
  const uploadTimeoutMs = options.uploadTimeoutMs ?? 30_000;
  const retryAfter = String(options.retryAfterS ?? 2);
  const maxUploads = options.maxUploads ?? 32;
  const perClientUploads = new PerClient(Math.min(maxUploads, options.maxUploadsPerClient ?? 8));
  const hostAllowed = hostAllowList({ host, publicUrl: options.publicUrl, allowHosts: options.allowHosts });
  const warn = options.onWarning ?? ((m: string) => process.stderr.write(`face-reshape serve: warning: ${m}\n`));
  const keyDigest = options.apiKey ? digest(options.apiKey) : null;
  const corsOrigins = (options.corsOrigins ?? []).filter(Boolean);
  let handle: ServeHandle | null = null;
  let uploads = 0;
  let closing = false;
  const fatal =
    options.onFatal ??
    ((e: Error) => {
      process.stderr.write(`face-reshape serve: fatal: ${e.message}\n`);
      process.exit(1);
    });

  const store = options.resultsRedis // [scale-out]
    ? new RedisResultStore({ url: options.resultsRedis, ttlMs: options.resultTtlMs, maxBytes: options.resultsMaxBytes, minLifetimeMs: options.resultMinLifetimeMs })
    : new ResultStore({ ttlMs: options.resultTtlMs, maxBytes: options.resultsMaxBytes, dir: options.resultsDir, minLifetimeMs: options.resultMinLifetimeMs } satisfies ResultStoreOptions);
  const poolOptions: PagePoolOptions = {
    size: options.pool,
    maxQueue: options.queue,
    jobTimeoutMs: options.jobTimeoutMs,
    backend: options.backend,
    modelAssetBuffer: options.modelAssetBuffer,
    onWarning: warn,
    onEvent: (m) => warn(m),
    onFatal: (e) => {
      // Stop taking requests, then hand over: the supervisor restarts a fresh process.
      closing = true;
      void (handle ? handle.close() : Promise.resolve()).finally(() => fatal(e));
    },
  };
  let pool: PagePool;
  try {
    pool = await PagePool.start(poolOptions);
  } catch (e) {
    await store.close();
    throw e;
  }

  /** http://address:port once listening (the address stays known while closing). */
  let boundUrl = '';

  const app = Fastify({
    logger: false,
    // Node's own limits as a backstop behind the upload timer: the whole request within the upload
    // timeout (+5 s), headers within 10 s, checked every second; sockets capped, per client too.
    serverFactory: (handler) => {
      const server: Server = createServer(
        { requestTimeout: uploadTimeoutMs + 5000, headersTimeout: Math.min(10_000, uploadTimeoutMs + 5000), connectionsCheckingInterval: 1000, keepAliveTimeout: 5000 },
        handler as (req: IncomingMessage, res: ServerResponse) => void,
      );
      server.maxConnections = 512;
      limitConnectionsPerClient(server, options.maxConnectionsPerClient ?? 64);
      return server;
    },
    // Requests Node's parser refuses, and URLs the router cannot take, still get an envelope.
    clientErrorHandler: answerClientError,
    frameworkErrors: (err, req, reply) => {
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return fail(req, reply, 'URI_TOO_LONG', `The URL is too long; result URLs are ${RESULTS_PREFIX}<24 characters>.<png|jpg>.`);
      return fail(req, reply, 'BAD_REQUEST', 'The URL is malformed (a bad %-escape?).');
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

  // Every request, routed or not: a Host this server answers for, and a URL of sane length.
  app.addHook('onRequest', async (req, reply) => {
    if (!hostAllowed(req.headers.host)) {
      return fail(req, reply, 'MISDIRECTED_REQUEST', `This server does not answer for the Host in this request; call it as 127.0.0.1, localhost or its --public-url host (or add the name with --allow-host).`);
    }
    if ((req.raw.url ?? '').length > MAX_URL_LENGTH) return fail(req, reply, 'URI_TOO_LONG', `The URL is longer than ${MAX_URL_LENGTH} characters.`);
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
  const busy = (req: FastifyRequest, reply: FastifyReply, message: string, seconds = retryAfter) => fail(req, reply, 'SERVICE_BUSY', message, { 'retry-after': seconds });

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
      if (closing) return busy(req, reply, 'The server is shutting down; retry shortly (on another instance).');
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
      if (pool.full) return busy(req, reply, `All ${pool.size} reshapers are busy and ${pool.maxQueue} requests are waiting; retry after ${retryAfter} s.`);
      // [scale-out] no upload is read while the shared results store is down: its result could not be kept.
      if (!store.available) return busy(req, reply, `The results store is unreachable; retry after ${retryAfter} s.`);
      if (uploads >= maxUploads) return busy(req, reply, `${maxUploads} uploads are already being received; retry after ${retryAfter} s.`);
      const client = req.socket.remoteAddress ?? '';
      if (!perClientUploads.tryAcquire(client)) {
        return fail(req, reply, 'TOO_MANY_REQUESTS', `This client already has ${perClientUploads.limit} uploads in progress; finish those first, then retry.`, { 'retry-after': retryAfter });
      }

      let form: ParsedForm;
      uploads++;
      try {
        form = await readForm(req, uploadTimeoutMs);
      } catch (e) {
        if (e instanceof FormError) return send(req, reply, e.envelope, e.extraHeaders);
        return send(req, reply, envelopeFromError(new FaceReshapeError('MISSING_ARGUMENT', `The multipart body could not be read (${(e as Error).message}). Send multipart/form-data with the fields image, shape_type and strength.`)));
      } finally {
        uploads--;
        perClientUploads.release(client);
      }

      // Everything checkable without decoding, in Node, in the cloud's order; the pool only sees plausible requests.
      let job: PoolJob;
      try {
        job = checkForm(form);
      } catch (e) {
        return send(req, reply, envelopeFromError(e));
      }
      let result: PoolResult;
      try {
        result = await pool.submit(job);
      } catch (e) {
        if (e instanceof QueueFullError) return busy(req, reply, `All ${pool.size} reshapers are busy and ${e.queued} requests are waiting; retry after ${retryAfter} s.`);
        return send(req, reply, envelopeFromError(e));
      }
      const env = result.envelope;
      if (result.retry) return send(req, reply, env, { 'retry-after': retryAfter });
      if (env.error_code === 0 && result.output && result.type) {
        try {
          const name = await store.put(result.output, result.type);
          env.data = { image_url: `${baseUrl(req, boundUrl)}${RESULTS_PREFIX}${name}` };
        } catch (e) {
          if (e instanceof StoreFullError) return busy(req, reply, `The image was reshaped, but ${e.message}`, String(e.retryAfterS));
          // [scale-out] an unreachable shared store: the client retries (here or on another instance).
          if (e instanceof StoreUnavailableError) return busy(req, reply, `The result could not be kept (${e.message}); retry after ${retryAfter} s.`);
          return send(req, reply, envelopeFromError(new FaceReshapeError('INTERNAL', `The image was reshaped but could not be stored: ${(e as Error).message}.`)));
        }
      }
      return send(req, reply, env);
    },
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
        if (e instanceof StoreUnavailableError) return busy(req, reply, `The results store is unreachable; retry after ${retryAfter} s.`);
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

  // Unrouted: a method the API path or a result does not answer is 405 (OPTIONS and TRACE included), anything else 404.
  app.setNotFoundHandler((req, reply) => {
    const path = (req.raw.url ?? '').split('?')[0];
    if (path === API_PATH) return fail(req, reply, 'METHOD_NOT_ALLOWED', `Use POST ${API_PATH} with multipart/form-data.`, { allow: 'POST' });
    if (path.startsWith(RESULTS_PREFIX) && req.method !== 'GET' && req.method !== 'HEAD') return fail(req, reply, 'METHOD_NOT_ALLOWED', 'Results are read with GET (or HEAD).', { allow: 'GET, HEAD' });
    return fail(req, reply, 'NOT_FOUND', `Nothing is served at this path; the API is POST ${API_PATH}.`);
  });
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
  handle = {
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
  return handle;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
