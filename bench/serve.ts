// Throughput and latency of the drop-in server (`face-reshape serve`), measured with real HTTP
// requests (Node fetch + FormData) against a server started in this process.
//   npx tsx bench/serve.ts [--requests 60] [--concurrency 8] [--pool 2] [--json]
// Needs the built library (npm run build). `benchServe()` is exported for bench/run.ts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServe } from '../packages/face-reshape/src/serve/server';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');

export interface ServeBenchOptions {
  /** Requests sent (all valid: a 512×600 JPEG and a 512×512 PNG in turn). Default 60. */
  requests?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Pages in the server's pool. Default 2. */
  pool?: number;
}

export interface ServeBenchResult {
  serve_requests: number;
  serve_concurrency: number;
  serve_pool: number;
  serve_ok: number;
  serve_throughput_rps: number;
  serve_p50_ms: number;
  serve_p95_ms: number;
  /** Slowest slot's median job time over the fastest's (each pool page should run at the same speed; ≤ 1.5). */
  serve_slot_median_ratio: number;
}

/** Sends `requests` requests `concurrency` at a time; returns each one's status and latency. */
export async function loadServe(
  api: string,
  requests: number,
  concurrency: number,
  body: (i: number) => FormData,
): Promise<{ wallMs: number; results: Array<{ status: number; ms: number; json: any }> }> {
  const results: Array<{ status: number; ms: number; json: any }> = new Array(requests);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        const s = performance.now();
        const r = await fetch(api, { method: 'POST', body: body(i) });
        const json = await r.json();
        results[i] = { status: r.status, ms: performance.now() - s, json };
      }
    }),
  );
  return { wallMs: performance.now() - t0, results };
}

export function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}

/** The bench's request images (a JPEG, then a PNG) and shapes, taken in turn. */
export const CLOUD_IMAGES = ['test/fixtures/grace_hopper.jpg', 'test/fixtures/astronaut.png'];
export const CLOUD_SHAPES = [2, 8, 19, 1];

/** The bench's cloud requests: the two test fixtures in turn, four shapes in turn, strength 0.7. */
export function cloudForms(): (i: number) => FormData {
  const images = CLOUD_IMAGES.map((f) => readFileSync(resolve(ROOT, f)));
  return (i) => {
    const fd = new FormData();
    fd.append('image', new Blob([images[i % 2]]), i % 2 ? 'a.png' : 'h.jpg');
    fd.append('shape_type', String(CLOUD_SHAPES[i % 4]));
    fd.append('strength', '0.7');
    return fd;
  };
}

export async function benchServe(options: ServeBenchOptions = {}): Promise<ServeBenchResult> {
  const requests = options.requests ?? 60;
  const concurrency = options.concurrency ?? 8;
  const pool = options.pool ?? 2;
  const server = await startServe({ port: 0, pool, queue: Math.max(16, concurrency) });
  try {
    const api = `${server.url}/api/portrait/effects/face-tidyup`;
    const form = cloudForms();
    await loadServe(api, pool * 2, pool, form); // warm-up
    const { wallMs, results } = await loadServe(api, requests, concurrency, form);
    const ok = results.filter((r) => r.status === 200);
    return {
      serve_requests: requests,
      serve_concurrency: concurrency,
      serve_pool: pool,
      serve_ok: ok.length,
      serve_throughput_rps: Math.round((requests / (wallMs / 1000)) * 100) / 100,
      serve_p50_ms: Math.round(quantile(ok.map((r) => r.ms), 0.5)),
      serve_p95_ms: Math.round(quantile(ok.map((r) => r.ms), 0.95)),
      serve_slot_median_ratio: Math.round((Math.max(...server.pool.slotMedians) / Math.min(...server.pool.slotMedians)) * 100) / 100,
    };
  } finally {
    await server.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const num = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const r = await benchServe({ requests: num('requests'), concurrency: num('concurrency'), pool: num('pool') });
  if (args.includes('--json')) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    console.log(`face-reshape serve: ${r.serve_requests} requests (512 px JPEG/PNG), ${r.serve_concurrency} concurrent, pool ${r.serve_pool}: ${r.serve_ok} ok`);
    console.log(`serve_throughput_rps  ${r.serve_throughput_rps.toFixed(2).padStart(9)}`);
    console.log(`serve_p50_ms          ${String(r.serve_p50_ms).padStart(9)}`);
    console.log(`serve_p95_ms          ${String(r.serve_p95_ms).padStart(9)}`);
    console.log(`serve_slot_median_ratio ${r.serve_slot_median_ratio.toFixed(2).padStart(7)}   (slowest pool page's median job time / fastest's)`);
  }
}
