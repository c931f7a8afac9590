// First result: a fresh page (a new incognito browser context: no HTTP cache, no compiled-code
// cache) creates a FaceReshaper and reshapes a 512 px photo. `first_result_ms` is create() plus
// that first reshape(); its parts come from the library where it reports them.
//
//   npx tsx bench/first-result.ts [--runs N] [--json] [--library DIR]
// --library serves another build of the library (e.g. an older commit's dist/) for a before/after
// comparison run back to back on the same machine.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Runtime } from '../packages/face-reshape/src/node/runtime';

export interface FirstResultFigures {
  first_result_ms: number;
  first_result_create_ms: number;
  first_result_reshape_ms: number;
  /** Compiling the wasm as it downloads, and fetching the model: they run at the same time (null where the library does not say). */
  first_result_wasm_compile_ms: number | null;
  first_result_model_fetch_ms: number | null;
  /** Instantiating the wasm and building the landmarker's graph once both are in. */
  first_result_graph_init_ms: number | null;
  first_result_first_detect_ms: number | null;
  /** The rest of the first reshape(): field, upload, warp, readback and encoding. */
  first_result_first_warp_ms: number | null;
  first_result_runs: number;
}

/** One fresh page: create() and a first reshape() of the photo (fetched beforehand), timed in the page. */
async function firstResultInPage(photoUrl: string) {
  const w = window as any;
  const blob = await (await fetch(photoUrl)).blob();
  const t0 = performance.now();
  const rs = await w.lib.FaceReshaper.create({});
  const t1 = performance.now();
  const r = await rs.reshape(blob, { shape: 'slim_face', strength: 0.6, output: 'blob', timings: true });
  const t2 = performance.now();
  const load = rs.detector?.loadTimings ?? null;
  const tm = r.timings ?? null;
  const faces = r.faces.length;
  rs.close();
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    total: t2 - t0,
    create: t1 - t0,
    reshape: t2 - t1,
    wasm: num(load?.wasmCompileMs),
    model: num(load?.modelFetchMs),
    graph: num(load?.graphInitMs),
    detect: num(tm?.detect),
    warp: tm ? tm.field + tm.upload + tm.warp + tm.readback + tm.encode : null,
    faces,
  };
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const medianOrNull = (a: Array<number | null>) => (a.every((v) => v !== null) && a.length ? median(a as number[]) : null);

export async function benchFirstResult(rt: Runtime, photoUrl: string, runs: number): Promise<FirstResultFigures> {
  // The bench's runtime serves over HTTP (assets: 'http'): fresh incognito contexts load the page like a web app does.
  if (!rt.server) throw new Error('benchFirstResult needs a runtime that serves its pages over HTTP');
  const base = rt.server.url;
  const rows: Array<Awaited<ReturnType<typeof firstResultInPage>>> = [];
  for (let i = 0; i < runs; i++) {
    const context = await rt.browser.createBrowserContext();
    try {
      const page = await context.newPage();
      await page.evaluateOnNewDocument('globalThis.__name = (f) => f;');
      await page.goto(base + '/harness.html', { waitUntil: 'load' });
      await page.waitForFunction('window.harnessReady || window.harnessError', { timeout: 60_000 });
      const err = await page.evaluate('window.harnessError');
      if (err) throw new Error(`The library failed to load: ${err}`);
      const row = await page.evaluate(firstResultInPage, photoUrl);
      if (row.faces !== 1) throw new Error(`first result: expected 1 face in ${photoUrl}, found ${row.faces}`);
      rows.push(row);
    } finally {
      await context.close();
    }
  }
  return {
    first_result_ms: median(rows.map((r) => r.total)),
    first_result_create_ms: median(rows.map((r) => r.create)),
    first_result_reshape_ms: median(rows.map((r) => r.reshape)),
    first_result_wasm_compile_ms: medianOrNull(rows.map((r) => r.wasm)),
    first_result_model_fetch_ms: medianOrNull(rows.map((r) => r.model)),
    first_result_graph_init_ms: medianOrNull(rows.map((r) => r.graph)),
    first_result_first_detect_ms: medianOrNull(rows.map((r) => r.detect)),
    first_result_first_warp_ms: medianOrNull(rows.map((r) => r.warp)),
    first_result_runs: runs,
  };
}

// Run on its own: the committed 512×600 portrait, in the test bed build or the one --library names.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { startRuntime } = await import('../packages/face-reshape/src/node/runtime');
  const { testMounts, TESTBED } = await import('../test/support/env');
  const args = process.argv.slice(2);
  const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const rt = await startRuntime({ mounts: testMounts(), libraryDir: resolve(opt('--library') ?? TESTBED) });
  try {
    const r = await benchFirstResult(rt, '/test-fixtures/grace_hopper.jpg', Number(opt('--runs') ?? 5));
    if (args.includes('--json')) process.stdout.write(JSON.stringify(r) + '\n');
    else for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(32)} ${v === null ? '—' : v.toFixed(1)}`);
  } finally {
    await rt.close();
  }
}
