import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { normalizeEdits } from 'webgpu-face-reshape/compat';
import { API_KEY_HEADER, API_PATH } from '../serve/server.js';

export const BATCH_USAGE = `face-reshape batch — send many images to a cloud-shaped facial-aesthetics endpoint
(our \`face-reshape serve\`, several behind a balancer, or any server speaking the retired cloud API)

Usage:
  face-reshape batch --endpoint URL IN... --out-dir DIR --shape S --strength X [--concurrency 4]
                     [--api-key KEY] [--retries 8] [--json]

  --endpoint URL     the API URL (a bare http://host:port gets ${API_PATH})
  --out-dir DIR      each result is written there under its input's name (extension of the result's type);
                     inputs whose result is already there are skipped, so a stopped run resumes
  --shape S          shape_type: an id 0–21 or a name (slim_face, big_eyes, …)
  --strength X       strength in [0, 1]
  --concurrency N    requests in flight (default 4)
  --api-key KEY      sent as the ${API_KEY_HEADER} header (or set FACE_RESHAPE_API_KEY)
  --retries N        attempts after the first for a 503/502/504/429/408 answer or a network error
                     (default 8); waits Retry-After when given, else a growing backoff (0.5 s … 30 s)
  --json             the summary as one JSON line on stdout
Progress lines go to stderr; exit 0 when every file is done, 1 when any failed, 2 on a usage error.`;

/** Statuses that mean "not now": the request may be sent again as it is. */
const RETRIABLE = new Set([408, 429, 502, 503, 504]);
const IMAGE_EXT = /\.(jpe?g|png|bmp)$/i;

export interface BatchSummary {
  files: number;
  done: number;
  skipped: number;
  failed: number;
  /** Requests sent again after a retriable answer or a network error. */
  retries: number;
  seconds: number;
  failures: Array<{ file: string; status: number; error_code?: number | string; error_msg: string }>;
}

interface Job {
  file: string;
  stem: string;
}

class Retriable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

class Failed extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number | string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry-After as seconds or an HTTP date → ms (capped at 60 s); undefined when absent or unreadable. */
function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(60_000, Math.max(0, ms)) : undefined;
}

/** The outputs already in `dir`, by stem (`photo` for photo.png): those inputs are done. */
function doneStems(dir: string): Set<string> {
  const out = new Set<string>();
  for (const name of readdirSync(dir)) if (!name.startsWith('.') && /\.(png|jpg)$/.test(name)) out.add(name.replace(/\.(png|jpg)$/, ''));
  return out;
}

function parseBatchArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      endpoint: { type: 'string' },
      'out-dir': { type: 'string' },
      shape: { type: 'string' },
      strength: { type: 'string' },
      concurrency: { type: 'string' },
      'api-key': { type: 'string' },
      retries: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

export async function runBatch(argv: string[], io = { stdout: (s: string) => process.stdout.write(s), stderr: (s: string) => process.stderr.write(s) }): Promise<number> {
  let parsed;
  try {
    parsed = parseBatchArgs(argv);
  } catch (e) {
    io.stderr(`face-reshape batch: ${(e as Error).message}\n\n${BATCH_USAGE}\n`);
    return 2;
  }
  const { values, positionals: inputs } = parsed;
  if (values.help) {
    io.stdout(BATCH_USAGE + '\n');
    return 0;
  }

  const usage = (m: string) => {
    io.stderr(`face-reshape batch: ${m}\n`);
    return 2;
  };
  if (!values.endpoint) return usage('--endpoint URL is required (e.g. http://127.0.0.1:8787).');
  let endpoint: URL;
  try {
    endpoint = new URL(values.endpoint);
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    return usage(`--endpoint must be an http(s) URL; got "${values.endpoint}".`);
  }
  if (endpoint.pathname === '/' || endpoint.pathname === '') endpoint.pathname = API_PATH;
  if (!values['out-dir']) return usage('--out-dir DIR is required: the results are written there.');
  if (values.shape === undefined || values.strength === undefined) return usage('--shape S and --strength X are required (the cloud fields shape_type and strength).');
  let shapeType = values.shape;
  if (!/^\d+$/.test(shapeType)) {
    try {
      shapeType = String(normalizeEdits({ shape: shapeType as never, strength: 1 })[0].id);
    } catch (e) {
      return usage(`--shape: ${(e as Error).message}`);
    }
  }
  const concurrency = Number(values.concurrency ?? 4);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) return usage(`--concurrency must be an integer 1–256; got "${values.concurrency}".`);
  const retries = Number(values.retries ?? 8);
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) return usage(`--retries must be an integer 0–100; got "${values.retries}".`);
  const apiKey = values['api-key'] ?? process.env.FACE_RESHAPE_API_KEY;
  const strength = values.strength;

  // Inputs: files, or folders (their images, not recursive).
  const files: string[] = [];
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch {
      return usage(`cannot read ${input}: no such file or folder.`);
    }
    if (!st.isDirectory()) files.push(input);
    else for (const n of readdirSync(input).sort()) if (IMAGE_EXT.test(n)) files.push(join(input, n));
  }
  if (!files.length) return usage('name at least one input image (or a folder of them).');
  const jobs: Job[] = files.map((file) => ({ file, stem: basename(file, extname(file)) }));
  const byStem = new Map<string, string>();
  for (const j of jobs) {
    const other = byStem.get(j.stem);
    if (other) return usage(`${other} and ${j.file} would both be written as ${j.stem}.*: give them different names or run them into different --out-dir.`);
    byStem.set(j.stem, j.file);
  }

  const outDir = resolve(values['out-dir']);
  mkdirSync(outDir, { recursive: true });
  // Partial files left by an interrupted run (results are written to a temporary name, then renamed).
  for (const n of readdirSync(outDir)) if (/^\..*\.partial-\d+$/.test(n)) rmSync(join(outDir, n), { force: true });
  const already = doneStems(outDir);

  const summary: BatchSummary = { files: jobs.length, done: 0, skipped: 0, failed: 0, retries: 0, seconds: 0, failures: [] };
  const t0 = performance.now();
  const todo = jobs.filter((j) => {
    if (!already.has(j.stem)) return true;
    summary.skipped++;
    return false;
  });
  if (summary.skipped) io.stderr(`face-reshape batch: ${summary.skipped} of ${jobs.length} already in ${outDir}, skipped\n`);

  let finished = summary.skipped;
  const progress = (line: string) => io.stderr(`[${++finished}/${jobs.length}] ${line}\n`);

  /** One attempt: POST, then GET the image_url; throws Retriable or Failed. */
  async function attempt(job: Job, bytes: Buffer): Promise<{ bytes: Buffer; ext: 'png' | 'jpg' }> {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(bytes)]), basename(job.file));
    form.append('shape_type', shapeType);
    form.append('strength', strength);
    let res: Response;
    try {
      res = await fetch(endpoint, { method: 'POST', body: form, headers: apiKey ? { [API_KEY_HEADER]: apiKey } : {}, signal: AbortSignal.timeout(300_000) });
    } catch (e) {
      throw new Retriable(`network error: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    if (RETRIABLE.has(res.status)) throw new Retriable(`HTTP ${res.status}`, retryAfterMs(res.headers.get('retry-after')));
    let body: { error_code?: number | string; error_msg?: string; data?: { image_url?: string } } = {};
    try {
      body = JSON.parse(text);
    } catch {
      /* not an envelope */
    }
    if (res.status !== 200 || body.error_code !== 0) {
      throw new Failed(res.status, body.error_code, body.error_msg || text.slice(0, 200) || `HTTP ${res.status}`);
    }
    const url = body.data?.image_url;
    if (!url) throw new Failed(res.status, body.error_code, 'the answer has no data.image_url');
    let img: Response;
    try {
      img = await fetch(new URL(url, endpoint), { headers: apiKey ? { [API_KEY_HEADER]: apiKey } : {}, signal: AbortSignal.timeout(120_000) });
    } catch (e) {
      throw new Retriable(`network error fetching the result: ${(e as Error).message}`);
    }
    // A result that cannot be fetched (store down, instance gone, expired) is made again.
    if (img.status !== 200) throw new Retriable(`HTTP ${img.status} for image_url`, retryAfterMs(img.headers.get('retry-after')));
    const out = Buffer.from(await img.arrayBuffer());
    const type = img.headers.get('content-type') ?? '';
    return { bytes: out, ext: type.includes('png') || out[0] === 0x89 ? 'png' : 'jpg' };
  }

  async function run(job: Job): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(job.file);
    } catch (e) {
      summary.failed++;
      summary.failures.push({ file: job.file, status: 0, error_msg: `cannot read: ${(e as Error).message}` });
      progress(`FAILED ${job.file}: cannot read it`);
      return;
    }
    for (let n = 0; ; n++) {
      try {
        const r = await attempt(job, bytes);
        // Written under a temporary name, then renamed: a file in --out-dir is always a whole result.
        const dest = join(outDir, `${job.stem}.${r.ext}`);
        const tmp = join(outDir, `.${job.stem}.${r.ext}.partial-${process.pid}`);
        writeFileSync(tmp, r.bytes);
        renameSync(tmp, dest);
        summary.done++;
        progress(`done ${job.file} → ${dest}${n ? ` (${n} ${n === 1 ? 'retry' : 'retries'})` : ''}`);
        return;
      } catch (e) {
        if (e instanceof Retriable && n < retries) {
          summary.retries++;
          const wait = e.retryAfterMs ?? Math.min(30_000, 500 * 2 ** n) * (0.5 + Math.random() / 2);
          io.stderr(`face-reshape batch: ${job.file}: ${e.message}; retrying in ${(wait / 1000).toFixed(1)} s\n`);
          await sleep(wait);
          continue;
        }
        summary.failed++;
        const status = e instanceof Failed ? e.status : 0;
        const msg = (e as Error).message;
        summary.failures.push({ file: job.file, status, error_code: e instanceof Failed ? e.errorCode : undefined, error_msg: e instanceof Retriable ? `gave up after ${n + 1} attempts: ${msg}` : msg });
        progress(`FAILED ${job.file}: ${status ? `HTTP ${status}: ` : ''}${msg}`);
        return;
      }
    }
  }

  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, todo.length) }, async () => {
      while (next < todo.length) await run(todo[next++]);
    }),
  );
  summary.seconds = Math.round((performance.now() - t0) / 100) / 10;
  if (values.json) io.stdout(JSON.stringify(summary) + '\n');
  else {
    io.stdout(`face-reshape batch: ${summary.files} files: ${summary.done} done, ${summary.skipped} skipped (already done), ${summary.failed} failed, ${summary.retries} retries, ${summary.seconds} s\n`);
    for (const f of summary.failures) io.stdout(`  failed ${f.file}: ${f.status ? `HTTP ${f.status} ` : ''}${f.error_msg}\n`);
  }
  return summary.failed ? 1 : 0;
}

