import { parseArgs } from 'node:util';

export const USAGE = `face-reshape — on-device face reshaping (MediaPipe landmarks + WebGPU warp) in headless Chromium

Usage:
  face-reshape detect IN... [--json] [--max-faces N] [--tiling auto|off] [--delegate cpu|gpu] [--model FILE.task]
  face-reshape reshape IN --shape S --strength X --out OUT [--edit NAME=X ...] [--json] [--backend webgpu|cpu] [--model FILE.task] [--no-profile]
  face-reshape reshape IN... --out-dir DIR --shape S --strength X [...]   many files, folders or patterns in one Chromium (see face-reshape reshape --out-dir DIR --help)
  face-reshape batch --endpoint URL IN... --out-dir DIR --shape S --strength X [--concurrency 4]  (see face-reshape batch --help)
  face-reshape serve [--host 127.0.0.1] [--port 8787] [--api-key KEY] [--cors-origin ORIGIN ...] [--pool 2] [--queue 16] [--result-ttl 24h]

Options (reshape):
  --shape S          a shape id 0–21 or name (slim_face, big_eyes, …; see README)
  --strength X       0 (no change) to 1 (strongest)
  --out OUT          output file; .png → PNG, .jpg/.jpeg → JPEG (quality 0.92); checked writable before any work.
                     \`--out -\` writes the image to stdout (PNG, or --format jpeg), not with --json
  IN                 an image file, or \`-\` for stdin (detect and reshape)
  --edit NAME=X      a further edit in the same pass (repeatable); X signed in [-1, 1]
  Input rules as the cloud API: JPEG, PNG or BMP, at most 3 MB, each side 11–1999 px.
  Exit 0 on success, 2 on a 4xx error (bad input or arguments; with --json an envelope on stdout), 1 on a 5xx error.
  detect takes the same inputs (header checked before decoding); it exits 2 when an input is refused, 1 when one cannot be read.

Options (serve): the cloud's POST /api/portrait/effects/face-tidyup on a local port (see README)
  --host H           interface to bind (default 127.0.0.1: this machine only)
  --port P           port (default 8787; 0 picks a free one)
  --api-key KEY      require this ailabapi-api-key header (or set FACE_RESHAPE_API_KEY)
  --cors-origin O    allow browser calls from origin O (repeatable; default: no CORS)
  --pool N           pages reshaping in parallel (default 2); --queue N requests waiting (default 16)
  --result-ttl T     how long result URLs live: 90s, 30m, 24h (default 24h)
  --results-dir DIR  keep results on disk in DIR (default: memory); --results-max-mb N caps them (default 256)
  --results-redis URL  keep results in Redis (redis://host:6379/0), shared by instances behind a balancer
  --upload-timeout T / --job-timeout T   body receive limit (default 30s) / reshape limit (default 120s)
  --result-min-life T  no result younger than this is dropped for room (default 10m); when all are, new jobs get 503
  --public-url URL   base of data.image_url when behind a proxy;  --log  one line per request (no content)
  --allow-host NAME  answer for this Host name too (repeatable; localhost, IP literals, --host and --public-url's host always are)
  --client-uploads N uploads one client address may have open at once (default 8; more get 429)

Options:
  --json             machine-readable output on stdout
  --max-faces N      most faces per image (default 4)
  --tiling MODE      extra detection pass over tiles for small faces: auto (default) or off
  --delegate D       landmark model delegate: cpu (default) or gpu
  --model FILE       a Face Landmarker .task bundle to use instead of the built-in one
  --backend B        warp backend: webgpu (default; falls back to cpu with a warning) or cpu
Chromium is found via CHROMIUM_PATH, PUPPETEER_EXECUTABLE_PATH, then /usr/bin/chromium.`;

/** Options that take a value (the rest are flags). */
const VALUE_OPTIONS = new Set([
  'max-faces', 'tiling', 'delegate', 'model', 'backend', 'shape', 'strength', 'out', 'format', 'edit',
  'host', 'port', 'api-key', 'cors-origin', 'pool', 'queue', 'result-ttl', 'results-dir', 'results-max-mb',
  'upload-timeout', 'job-timeout', 'public-url', 'allow-host', 'client-uploads', 'result-min-life',
]);

/**
 * `--strength -0.5` as `--strength=-0.5`: node's parser takes a value starting with '-' for an
 * option, so a negative number after an option that takes a value is joined to it here (and is
 * then validated like any other value: OUT_OF_RANGE, not a usage error).
 */
export function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (a.startsWith('--') && !a.includes('=') && VALUE_OPTIONS.has(a.slice(2)) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function parseCli(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(argv),
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'max-faces': { type: 'string' },
      tiling: { type: 'string' },
      delegate: { type: 'string' },
      model: { type: 'string' },
      backend: { type: 'string' },
      shape: { type: 'string' },
      strength: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      edit: { type: 'string', multiple: true },
      'no-profile': { type: 'boolean', default: false }, // [batch] a throw-away Chromium profile (see node/profile.ts)
      // serve
      host: { type: 'string' },
      port: { type: 'string' },
      'api-key': { type: 'string' },
      'cors-origin': { type: 'string', multiple: true },
      pool: { type: 'string' },
      queue: { type: 'string' },
      'result-ttl': { type: 'string' },
      'results-dir': { type: 'string' },
      'results-max-mb': { type: 'string' },
      'results-redis': { type: 'string' }, // [scale-out]
      'upload-timeout': { type: 'string' },
      'job-timeout': { type: 'string' },
      'public-url': { type: 'string' },
      'allow-host': { type: 'string', multiple: true },
      'client-uploads': { type: 'string' },
      'result-min-life': { type: 'string' },
      log: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return { command: positionals[0], inputs: positionals.slice(1), values };
}

export class UsageError extends Error {}

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got "${value}".`);
}

export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer; got "${value}".`);
  return n;
}
