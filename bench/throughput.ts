// Server throughput against its ceiling, in one run: `face-reshape serve` (pool P) under HTTP load at
// concurrency 2 × P, and P pages calling the same compat reshape directly (no HTTP, no transfer).
// Also what moving one request's bytes between Node and a page costs: the pool's way (the image as an
// intercepted response, the result as a Blob read over CDP; serve/pool.ts) and the base64 way it replaced.
//   npx tsx bench/throughput.ts [--requests 24] [--pool 2] [--json]
// Needs the built library (npm run build). `benchThroughput()` is exported for bench/run.ts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CDPSession, Page } from 'puppeteer';
import { readPageBlob } from '../packages/face-reshape/src/node/page-blob';
import { startRuntime, type RuntimePage } from '../packages/face-reshape/src/node/runtime';
import { startServe } from '../packages/face-reshape/src/serve/server';
import { readOutput } from '../packages/face-reshape/src/cli/reshape';
import { CLOUD_IMAGES as IMAGES, CLOUD_SHAPES as SHAPES, cloudForms, loadServe, quantile, type ServeBenchResult } from './serve';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');

export interface ThroughputBenchResult extends ServeBenchResult {
  /** The same requests on `pool` pages calling runFacialAesthetics in the page, each page back to back. */
  inpage_throughput_rps: number;
  inpage_p50_ms: number;
  inpage_p95_ms: number;
  /** Goal ≥ 0.8. */
  ratio_serve_to_inpage: number;
  /** Goal ≤ 2. */
  ratio_serve_p95_to_p50: number;
  /** One request's image (61 KB JPEG) in and result (≈ 0.6 MB PNG) out as the pool moves them (intercepted response in, Blob over CDP out), less the same call without bytes. */
  pool_transfer_ms: number;
  /** The same two legs as base64 through page.evaluate (the pool's way before), less the same call without bytes. */
  pool_base64_roundtrip_ms: number;
  /** The result's leg alone: as base64 from page.evaluate, and read as a Blob over CDP (IO.resolveBlob/IO.read, the batch CLI's way). */
  output_leg_base64_ms: number;
  output_leg_cdp_blob_ms: number;
}

/** Runs in a page: loads the two images and the page's reshaper (kept on window). */
async function preparePage(urls: string[]): Promise<void> {
  const w = window as any;
  w.__tpImages = await Promise.all(urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
  w.__tpReshaper = await w.lib.FaceReshaper.create({ maxFaces: 4, backend: 'webgpu' });
}

/** Runs in a page: request i as the server's page makes it (compat call, default output, encoded bytes read). */
async function requestInPage(i: number, shapes: number[]): Promise<{ ok: boolean; ms: number }> {
  const w = window as any;
  const t0 = performance.now();
  const res = await w.compat.runFacialAesthetics({ image: w.__tpImages[i % 2], shape_type: String(shapes[i % 4]), strength: '0.7' }, { reshaper: w.__tpReshaper });
  if (res.output) await res.output.arrayBuffer();
  return { ok: res.envelope.error_code === 0, ms: performance.now() - t0 };
}

/** Runs in a page: the base64 legs of one pool job, as serve/pool.ts does them, on real bytes. */
async function base64Legs(b64In: string, withBytes: boolean): Promise<string> {
  const w = window as any;
  if (!withBytes) return '';
  const image = Uint8Array.from(atob(b64In), (c) => c.charCodeAt(0)); // '' for the output leg alone
  w.__tpSink = image.length;
  const buf: Uint8Array = w.__tpResult;
  let bin = '';
  for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** The output leg alone: base64 built in the page (as the pool does) vs the Blob read over CDP's IO domain (as the batch CLI does). */
async function measureOutputLeg(page: Page): Promise<{ base64: number; cdp: number }> {
  const times = { base64: [] as number[], cdp: [] as number[] };
  for (let i = 0; i < 8; i++) {
    let t0 = performance.now();
    Buffer.from(await page.evaluate(base64Legs, '', true), 'base64');
    times.base64.push(performance.now() - t0);
    t0 = performance.now();
    await page.evaluate('window.__cliOutput = new Blob([window.__tpResult])');
    await readOutput(page);
    times.cdp.push(performance.now() - t0);
  }
  return { base64: quantile(times.base64, 0.5), cdp: quantile(times.cdp, 0.5) };
}

/** Runs in a page: the pool's legs: the image fetched from the offered path, the result left as a Blob for Node. */
async function transferLegs(path: string | null): Promise<void> {
  const w = window as any;
  if (!path) return;
  w.__tpSink = (await (await fetch(path)).arrayBuffer()).byteLength;
  w.__tpOutput = new Blob([w.__tpResult]);
}

/** The pool's way (serve/pool.ts): the input offered as an intercepted response, the result read over a kept CDP session. */
async function measureTransfer(rp: RuntimePage, cdp: CDPSession, input: Buffer): Promise<number> {
  const times = { with: [] as number[], without: [] as number[] };
  for (let i = 0; i < 8; i++) {
    let t0 = performance.now();
    const path = `/jobs/bench-${i}`;
    rp.offer(path, input, 'application/octet-stream');
    await rp.page.evaluate(transferLegs, path);
    await readPageBlob(rp.page, '__tpOutput', cdp);
    times.with.push(performance.now() - t0);
    t0 = performance.now();
    await rp.page.evaluate(transferLegs, null);
    times.without.push(performance.now() - t0);
  }
  return quantile(times.with, 0.5) - quantile(times.without, 0.5);
}

async function measureBase64(page: Page, input: Buffer): Promise<number> {
  await page.evaluate(async () => {
    const w = window as any;
    const res = await w.compat.runFacialAesthetics({ image: w.__tpImages[1], shape_type: '2', strength: '0.7' }, { reshaper: w.__tpReshaper });
    w.__tpResult = new Uint8Array(await res.output.arrayBuffer());
  });
  const b64 = input.toString('base64');
  const times = { with: [] as number[], without: [] as number[] };
  for (let i = 0; i < 8; i++) {
    for (const withBytes of [true, false]) {
      const t0 = performance.now();
      const out = await page.evaluate(base64Legs, withBytes ? b64 : '', withBytes);
      if (withBytes) Buffer.from(out, 'base64');
      times[withBytes ? 'with' : 'without'].push(performance.now() - t0);
    }
  }
  return quantile(times.with, 0.5) - quantile(times.without, 0.5);
}

export async function benchThroughput(options: { requests?: number; pool?: number } = {}): Promise<ThroughputBenchResult> {
  const pool = options.pool ?? 2;
  const requests = options.requests ?? 24;
  const concurrency = 2 * pool;
  const images = IMAGES.map((f) => readFileSync(resolve(ROOT, f)));

  // In-page ceiling: `pool` pages of one Chromium, each reshaping its share back to back; their files
  // come by interception, as the server's pages get theirs.
  const rt = await startRuntime({ assets: 'intercept', mounts: { '/test-fixtures/': resolve(ROOT, 'test/fixtures') } });
  let inpage: { wallMs: number; ms: number[]; ok: number };
  let base64Ms: number;
  let transferMs: number;
  let outputLeg: { base64: number; cdp: number };
  try {
    const pages: Page[] = [];
    let first: RuntimePage | undefined;
    for (let i = 0; i < pool; i++) {
      const rp = await rt.newPage();
      const { page } = rp;
      first ??= rp;
      await page.evaluate(preparePage, IMAGES.map((f) => `/${f.replace('test/fixtures/', 'test-fixtures/')}`));
      await page.evaluate(requestInPage, 0, SHAPES); // warm, as the server's pool is before its first request
      pages.push(page);
    }
    const ms: number[] = [];
    let ok = 0;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      pages.map(async (page) => {
        while (next < requests) {
          const r = await page.evaluate(requestInPage, next++, SHAPES);
          ms.push(r.ms);
          if (r.ok) ok++;
        }
      }),
    );
    inpage = { wallMs: performance.now() - t0, ms, ok };
    base64Ms = await measureBase64(pages[0], images[0]);
    transferMs = await measureTransfer(first!, await pages[0].createCDPSession(), images[0]);
    outputLeg = await measureOutputLeg(pages[0]);
  } finally {
    await rt.close();
  }

  // The server, same pool size, same requests, at concurrency 2 × pool.
  const server = await startServe({ port: 0, pool, queue: Math.max(16, concurrency) });
  let serve: Awaited<ReturnType<typeof loadServe>>;
  let slots: number[];
  try {
    const api = `${server.url}/api/portrait/effects/face-tidyup`;
    const form = cloudForms(); // the same images and shapes as the in-page requests above
    await loadServe(api, pool * 2, pool, form); // warm-up
    serve = await loadServe(api, requests, concurrency, form);
    slots = server.pool.slotMedians;
  } finally {
    await server.close();
  }
  const ok = serve.results.filter((r) => r.status === 200);
  const serveRps = requests / (serve.wallMs / 1000);
  const inpageRps = requests / (inpage.wallMs / 1000);
  const p50 = quantile(ok.map((r) => r.ms), 0.5);
  const p95 = quantile(ok.map((r) => r.ms), 0.95);
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return {
    serve_requests: requests,
    serve_concurrency: concurrency,
    serve_pool: pool,
    serve_ok: ok.length,
    serve_throughput_rps: r2(serveRps),
    serve_p50_ms: Math.round(p50),
    serve_p95_ms: Math.round(p95),
    inpage_throughput_rps: r2(inpageRps),
    inpage_p50_ms: Math.round(quantile(inpage.ms, 0.5)),
    inpage_p95_ms: Math.round(quantile(inpage.ms, 0.95)),
    ratio_serve_to_inpage: r2(serveRps / inpageRps),
    ratio_serve_p95_to_p50: r2(p95 / p50),
    serve_slot_median_ratio: r2(Math.max(...slots) / Math.min(...slots)),
    pool_transfer_ms: r2(transferMs),
    pool_base64_roundtrip_ms: r2(base64Ms),
    output_leg_base64_ms: r2(outputLeg.base64),
    output_leg_cdp_blob_ms: r2(outputLeg.cdp),
  };
}

export function describeThroughput(r: ThroughputBenchResult): string[] {
  const f = (v: number) => v.toFixed(2).padStart(9);
  return [
    `serve_throughput_rps  ${f(r.serve_throughput_rps)}   (face-reshape serve, pool ${r.serve_pool}, ${r.serve_concurrency} concurrent clients; p50 ${r.serve_p50_ms} ms, p95 ${r.serve_p95_ms} ms, p95/p50 ${r.ratio_serve_p95_to_p50} (goal ≤ 2))`,
    `inpage_throughput_rps ${f(r.inpage_throughput_rps)}   (${r.serve_pool} pages calling the compat reshape directly; p50 ${r.inpage_p50_ms} ms, p95 ${r.inpage_p95_ms} ms)`,
    `  serve / in-page     ${f(r.ratio_serve_to_inpage)}   (goal ≥ 0.8; the pool's bytes in and out cost ${r.pool_transfer_ms} ms per request, as base64 they cost ${r.pool_base64_roundtrip_ms} ms;`,
    `                                 the result alone: ${r.output_leg_base64_ms} ms as base64, ${r.output_leg_cdp_blob_ms} ms as a Blob read over CDP)`,
    `serve_slot_median_ratio ${r.serve_slot_median_ratio.toFixed(2).padStart(7)}   (slowest pool page's median job time / fastest's; goal ≤ 1.5)`,
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const num = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const r = await benchThroughput({ requests: num('requests'), pool: num('pool') });
  if (args.includes('--json')) process.stdout.write(JSON.stringify(r) + '\n');
  else for (const line of describeThroughput(r)) console.log(line);
}
