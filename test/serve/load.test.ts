import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCases } from '../support/compat-cases';
import { decode, download, FIXTURES, formData, meanDiff, mirrored, percentile, startServer, type Decoded, type Fields, type ServerProc } from './support';

/**
 * 200 requests, 8 at a time, good and bad mixed, against `face-reshape serve` (pool 2, queue 16).
 * Four same-size-pair inputs (two portraits and their mirror images) make any crossing of results
 * visible: each output must match its own input, not the mirrored twin.
 */
const FACE: [number, number, number, number] = [0.3, 0.15, 0.7, 0.65];
const FAR: [number, number, number, number] = [0, 0.85, 0.15, 1];
let server: ServerProc;
// Results on disk, so that the server's RSS measures the server itself, not the images it keeps.
const DIR = mkdtempSync(join(tmpdir(), 'face-reshape-load-'));

beforeAll(async () => {
  server = await startServer(['--results-dir', DIR]);
});
afterAll(async () => {
  if (server) expect(await server.stop(), server.output()).toBe(0);
  rmSync(DIR, { recursive: true, force: true });
});

interface Input {
  name: string;
  bytes: Uint8Array;
  decoded: Decoded;
  twin: number;
  lossless: boolean;
}

describe('face-reshape serve under load', () => {
  it('200 requests, 8 concurrent, mixed: every good one gets its own correct image, every bad one its code; memory stays flat', async () => {
    const raw = [
      ['astronaut.png', FIXTURES.astronaut],
      ['astronaut-mirrored.png', mirrored(FIXTURES.astronaut)],
      ['grace_hopper.jpg', FIXTURES.hopper],
      ['grace_hopper-mirrored.jpg', mirrored(FIXTURES.hopper)],
    ] as const;
    const inputs: Input[] = raw.map(([name, bytes], i) => ({ name, bytes, decoded: decode(bytes), twin: i ^ 1, lossless: name.endsWith('.png') }));
    const bad = errorCases().filter((c) =>
      ['no strength', 'shape_type 22', 'strength "abc"', 'GIF', 'PNG of 4 MB', 'JPEG truncated at 50 %', 'PNG 10×10', 'JPEG declaring 512×2400', 'generated faceless PNG'].includes(c.name),
    );
    expect(bad).toHaveLength(9);
    const shapes = ['2', '8', '19', '1', '0'];
    type Plan = { kind: 'good'; input: number; shape: string } | { kind: 'bad'; c: (typeof bad)[number] };
    const plan: Plan[] = Array.from({ length: 200 }, (_, i) =>
      i % 5 < 3 ? { kind: 'good', input: i % 4, shape: shapes[i % shapes.length] } : { kind: 'bad', c: bad[i % bad.length] },
    );
    const fieldsOf = (p: Plan): Fields => {
      if (p.kind === 'good') return { image: inputs[p.input].bytes, shape_type: p.shape, strength: '0.8' };
      const f: Fields = {};
      if (p.c.image) f.image = p.c.image;
      if (p.c.shape_type !== undefined) f.shape_type = String(p.c.shape_type);
      if (p.c.strength !== undefined) f.strength = String(p.c.strength);
      return f;
    };

    // Warm up (first requests allocate the pages' GPU resources), then measure memory.
    for (let i = 0; i < 4; i++) await fetch(server.api, { method: 'POST', body: formData(fieldsOf(plan[i])) });
    const rss0 = server.rss();

    const results: Array<{ status: number; body: any; ms: number }> = new Array(plan.length);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < plan.length) {
          const i = next++;
          const s = performance.now();
          const r = await fetch(server.api, { method: 'POST', body: formData(fieldsOf(plan[i])) });
          results[i] = { status: r.status, body: await r.json(), ms: performance.now() - s };
        }
      }),
    );
    const wall = performance.now() - t0;
    const rss1 = server.rss();

    // Every answer is the one its request deserved.
    const urls = new Set<string>();
    let checked = 0;
    for (let i = 0; i < plan.length; i++) {
      const p = plan[i];
      const r = results[i];
      expect(r, `request ${i} lost`).toBeDefined();
      if (p.kind === 'bad') {
        expect([r.status, r.body.error_detail.code], `${i}: ${p.c.name}`).toEqual([p.c.status, p.c.code]);
        continue;
      }
      expect(r.status, `${i}: ${JSON.stringify(r.body)}`).toBe(200);
      urls.add(r.body.data.image_url);
      const d = await download(r.body.data.image_url);
      expect(d.type).toBe(inputs[p.input].lossless ? 'image/png' : 'image/jpeg');
      const out = decode(d.bytes);
      const own = inputs[p.input].decoded;
      const twin = inputs[inputs[p.input].twin].decoded;
      expect([out.width, out.height], `${i}`).toEqual([own.width, own.height]);
      // Its own input, not the mirrored twin: far closer overall.
      const dOwn = meanDiff(out, own);
      const dTwin = meanDiff(out, twin);
      expect(dOwn, `${i}: output vs own input ${dOwn.toFixed(2)}, vs twin ${dTwin.toFixed(2)}`).toBeLessThan(dTwin / 3);
      // The face changed, the far corner did not (beyond JPEG re-encoding).
      const face = meanDiff(out, own, FACE);
      const far = meanDiff(out, own, FAR);
      expect(face, `${i}: face ${face.toFixed(2)} far ${far.toFixed(2)}`).toBeGreaterThan(far + 0.1);
      if (inputs[p.input].lossless) expect(far).toBeLessThan(0.05);
      checked++;
    }
    expect(checked).toBe(120);
    expect(urls.size).toBe(120);

    const good = results.filter((_, i) => plan[i].kind === 'good').map((r) => r.ms).sort((a, b) => a - b);
    const badMs = results.filter((_, i) => plan[i].kind === 'bad').map((r) => r.ms).sort((a, b) => a - b);
    console.log(
      `load: 200 requests (120 good, 80 bad), 8 concurrent, pool 2: ${(plan.length / (wall / 1000)).toFixed(2)} req/s, ` +
        `${(120 / (wall / 1000)).toFixed(2)} images/s over ${(wall / 1000).toFixed(1)} s\n` +
        `  good: p50 ${percentile(good, 50).toFixed(0)} ms, p95 ${percentile(good, 95).toFixed(0)} ms; bad: p50 ${percentile(badMs, 50).toFixed(0)} ms, p95 ${percentile(badMs, 95).toFixed(0)} ms\n` +
        `  server RSS ${(rss0 / 1048576).toFixed(0)} MB → ${(rss1 / 1048576).toFixed(0)} MB`,
    );
    expect(rss1 - rss0).toBeLessThan(100 * 1024 * 1024);
  });
});
