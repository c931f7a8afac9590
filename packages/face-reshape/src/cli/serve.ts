import { readFileSync } from 'node:fs';
import { startServe, API_PATH, type ServeOptions } from '../serve/server.js';
import { oneOf, positiveInt, UsageError } from './args.js';

export interface ServeCliOptions {
  host?: string;
  port?: string;
  'api-key'?: string;
  'cors-origin'?: string[];
  pool?: string;
  queue?: string;
  'result-ttl'?: string;
  'results-dir'?: string;
  'results-max-mb'?: string;
  'results-redis'?: string; // [scale-out]
  'upload-timeout'?: string;
  'job-timeout'?: string;
  'public-url'?: string;
  'allow-host'?: string[];
  'client-uploads'?: string;
  'result-min-life'?: string;
  log?: boolean;
  backend?: string;
  model?: string;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** "90s", "30m", "24h", "2d", "1500ms" or plain seconds → ms. */
export function parseDuration(name: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  const ms = m ? Number(m[1]) * unit[(m[2] ?? 's') as keyof typeof unit] : NaN;
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`--${name} must be a duration such as 90s, 30m or 24h; got "${value}".`);
  return ms;
}

export function serveOptionsFromCli(opts: ServeCliOptions, env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const port = opts.port === undefined ? 8787 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer 0–65535; got "${opts.port}".`);
  const queue = opts.queue === undefined ? 16 : Number(opts.queue);
  if (!Number.isInteger(queue) || queue < 0 || queue > 10_000) throw new UsageError(`--queue must be an integer 0–10000; got "${opts.queue}".`);
  const apiKey = opts['api-key'] ?? env.FACE_RESHAPE_API_KEY;
  if (apiKey !== undefined && apiKey.length === 0) throw new UsageError('--api-key (or FACE_RESHAPE_API_KEY) must not be empty.');
  for (const o of opts['cors-origin'] ?? []) {
    let ok = false;
    try {
      ok = new URL(o).origin === o;
    } catch {
      /* not a URL */
    }
    if (!ok) throw new UsageError(`--cors-origin must be an origin such as https://app.example.com (scheme, host, optional port, no path); got "${o}".`);
  }
  if (opts['public-url'] !== undefined && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(opts['public-url'])) {
    throw new UsageError(`--public-url must be an http(s) URL; got "${opts['public-url']}".`);
  }
  // [scale-out] Redis URL (with a password: better from the environment than on the command line).
  const resultsRedis = opts['results-redis'] ?? env.FACE_RESHAPE_RESULTS_REDIS;
  if (resultsRedis !== undefined) {
    if (!/^rediss?:\/\/[^\s/]+(\/\d{1,2})?\/?$/.test(resultsRedis)) throw new UsageError(`--results-redis must be a URL such as redis://host:6379/0; got "${resultsRedis.replace(/:[^:@/]*@/, ':***@')}".`);
    if (opts['results-dir'] !== undefined) throw new UsageError('--results-redis and --results-dir exclude each other: results live in one store.');
  }
  let modelAssetBuffer: Buffer | undefined;
  if (opts.model) {
    try {
      modelAssetBuffer = readFileSync(opts.model);
    } catch (e) {
      throw new UsageError(`Cannot read the model ${opts.model}: ${(e as Error).message}.`);
    }
  }
  return {
    host: opts.host ?? '127.0.0.1',
    port,
    apiKey,
    corsOrigins: opts['cors-origin'],
    pool: positiveInt('pool', opts.pool, 2),
    queue,
    resultTtlMs: parseDuration('result-ttl', opts['result-ttl'], 24 * 3_600_000),
    resultsDir: opts['results-dir'],
    resultsRedis,
    resultsMaxBytes: positiveInt('results-max-mb', opts['results-max-mb'], 256) * 1024 * 1024,
    resultMinLifetimeMs: parseDuration('result-min-life', opts['result-min-life'], 10 * 60_000),
    allowHosts: opts['allow-host'],
    maxUploadsPerClient: positiveInt('client-uploads', opts['client-uploads'], 8),
    uploadTimeoutMs: parseDuration('upload-timeout', opts['upload-timeout'], 30_000),
    jobTimeoutMs: parseDuration('job-timeout', opts['job-timeout'], 120_000),
    publicUrl: opts['public-url'],
    log: opts.log ?? false,
    backend: oneOf('backend', opts.backend, ['webgpu', 'cpu'] as const, 'webgpu'),
    modelAssetBuffer,
  };
}

/**
 * `face-reshape serve`: the cloud endpoint on a local port until SIGINT/SIGTERM; then requests in
 * flight finish (new ones get 503) and it exits 0. A second signal exits at once (code 1).
 */
export async function runServe(inputs: string[], opts: ServeCliOptions): Promise<number> {
  let options: ServeOptions;
  try {
    if (inputs.length) throw new UsageError(`serve takes no positional arguments; got ${inputs.join(' ')}.`);
    options = serveOptionsFromCli(opts);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`face-reshape: ${e.message}\n`);
    return 2;
  }
  let server;
  // Chromium exited and could not be relaunched: exit 1 so that a supervisor restarts the server.
  let fatal: (e: Error) => void = () => {};
  const fatalExit = new Promise<number>((resolve) => {
    fatal = (e) => {
      process.stderr.write(`face-reshape serve: fatal: ${e.message}; exiting with code 1.\n`);
      resolve(1);
    };
  });
  try {
    // The pool's Chromium leaves signals to us (no puppeteer handlers): shutdown stays graceful.
    server = await startServe({ ...options, onFatal: (e) => fatal(e) });
  } catch (e) {
    process.stderr.write(`face-reshape serve: could not start: ${(e as Error).message}\n`);
    return 1;
  }
  const wild = options.host === '0.0.0.0' || options.host === '::';
  process.stdout.write(
    `face-reshape serve: listening on ${server.url} — POST ${server.url}${API_PATH}` +
      ` (pool ${server.pool.size}, queue ${server.pool.maxQueue}, results ${'where' in server.store ? server.store.where : (server.store.dir ?? 'in memory')} for ${Math.round(server.store.ttlMs / 1000)} s` +
      `${options.apiKey ? ', API key required' : ''}${options.corsOrigins?.length ? `, CORS: ${options.corsOrigins.join(' ')}` : ''})\n`,
  );
  // [scale-out] a Redis that is not up yet is no reason to exit (it may start after us), but say so.
  if ('where' in server.store) {
    const { where } = server.store;
    void server.store.waitReady(3000).then((ok) => ok || process.stderr.write(`face-reshape serve: warning: the results Redis (${where}) is not reachable yet; requests get 503 until it is.\n`));
  }
  if (wild && !options.apiKey) process.stderr.write('face-reshape serve: warning: listening on all interfaces without --api-key; anyone who can reach this port can use it.\n');

  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write(`face-reshape serve: ${signal} again, exiting now.\n`);
        resolve(1);
        return;
      }
      stopping = true;
      const { running, queued } = server.pool.stats;
      process.stderr.write(`face-reshape serve: ${signal}: finishing ${running + queued} request(s) in flight, then exiting.\n`);
      server.close().then(
        () => resolve(0),
        (e) => {
          process.stderr.write(`face-reshape serve: error while closing: ${(e as Error).message}\n`);
          resolve(1);
        },
      );
    };
    for (const s of SIGNALS) process.on(s, () => stop(s));
  });
  return Promise.race([stopped, fatalExit]);
}
