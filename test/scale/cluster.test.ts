import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PATH, BIN, decode, meanDiff } from '../serve/support';
import { freePort, markedPortrait, processTree, readMark, startInstance, startNginx, startRedis, type Instance, type NginxProc, type RedisProc } from './support';

/**
 * Two `face-reshape serve` instances (pool 1 each) behind nginx (deploy/nginx.conf), results in one
 * redis-server: all real processes on loopback ports, started and stopped here by PID. Every input
 * carries its id as a colour in a corner the reshape leaves alone, so a result that crossed to
 * another request, or a file written under the wrong name, is seen.
 */
const dir = mkdtempSync(join(tmpdir(), 'face-reshape-scale-'));
let redis: RedisProc;
let nginx: NginxProc;
let a: Instance;
let b: Instance;
/** Outside nginx, with a 3 s TTL and no queue: for the expiry test and the batch client's own retries. */
let c: Instance;
const trees: number[] = [];
const FACE: [number, number, number, number] = [0.3, 0.2, 0.7, 0.65];

interface Answer {
  status: number;
  retryAfter: string | null;
  body: any;
  id: number;
  error?: string;
}

async function reshape(url: string, id: number): Promise<Answer> {
  const fd = new FormData();
  fd.append('image', new Blob([new Uint8Array(markedPortrait(id))]), `p${id}.png`);
  fd.append('shape_type', '2');
  fd.append('strength', '0.8');
  try {
    const r = await fetch(url + API_PATH, { method: 'POST', body: fd });
    const text = await r.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* nginx's own pages are HTML */
    }
    return { status: r.status, retryAfter: r.headers.get('retry-after'), body, id };
  } catch (e) {
    return { status: 0, retryAfter: null, body: null, id, error: String((e as Error).cause ?? e) };
  }
}

/** `clients` loops posting through `url` until `until()` says stop; each answer goes to `seen`. */
function loadUntil(url: string, clients: number, firstId: number, until: () => boolean, seen: Answer[]): Promise<void> {
  let next = firstId;
  return Promise.all(
    Array.from({ length: clients }, async () => {
      while (!until()) {
        const r = await reshape(url, next++ % 1024);
        seen.push(r);
        if (r.status !== 200) await new Promise((ok) => setTimeout(ok, 200)); // as a client would, without hammering
      }
    }),
  ).then(() => {});
}

async function get(url: string): Promise<{ status: number; bytes: Uint8Array; body: any }> {
  const r = await fetch(url);
  const bytes = new Uint8Array(await r.arrayBuffer());
  let body: any = null;
  if (r.headers.get('content-type')?.startsWith('application/json')) body = JSON.parse(Buffer.from(bytes).toString('utf8'));
  return { status: r.status, bytes, body };
}

const pathOf = (imageUrl: string) => new URL(imageUrl).pathname;
const until = async (what: string, cond: () => boolean | Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

beforeAll(async () => {
  redis = await startRedis(join(dir, 'redis'));
  const [pA, pB, pC, pN] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const common = ['--result-ttl', '10m', '--public-url', `http://127.0.0.1:${pN}`];
  [a, b, c] = await Promise.all([startInstance(pA, redis.url, common), startInstance(pB, redis.url, common), startInstance(pC, redis.url, ['--result-ttl', '3s', '--queue', '0'])]);
  trees.push(...processTree(a.proc.pid!), ...processTree(b.proc.pid!), ...processTree(c.proc.pid!));
  nginx = await startNginx(join(dir, 'nginx'), [pA, pB], pN);
});

afterAll(async () => {
  await nginx?.stop();
  await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  await redis?.stop();
  for (const pid of trees) {
    try {
      process.kill(pid, 'SIGKILL'); // a Chromium left by a killed instance
    } catch {
      // gone, as it should be
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('two instances behind nginx, results in Redis', () => {
  it('each instance answers /healthz and /readyz, and /metrics in Prometheus text', async () => {
    for (const s of [a, b]) {
      expect((await get(s.url + '/healthz')).status).toBe(200);
      const ready = await fetch(s.url + '/readyz');
      expect(ready.status, await ready.text()).toBe(200);
      const m = await (await fetch(s.url + '/metrics')).text();
      for (const name of ['face_reshape_http_requests_total', 'face_reshape_queue_length', 'face_reshape_pool_busy', 'face_reshape_job_seconds_bucket', 'face_reshape_results_store_up 1', 'process_cpu_seconds_total'])
        expect(m).toContain(name);
    }
  });

  it('100 requests, 6 concurrent, through nginx: all 200, and every image_url gives its own result through nginx and through either instance', async () => {
    const answers: Answer[] = [];
    let n = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (n < 100) answers.push(await reshape(nginx.url, n++));
      }),
    );
    expect(answers).toHaveLength(100);
    expect(answers.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.error ?? JSON.stringify(r.body)}`)).toEqual([]);
    const urls = answers.map((r) => r.body.data.image_url as string);
    expect(new Set(urls).size).toBe(100);
    for (const r of answers) {
      expect(r.body.data.image_url.startsWith(nginx.url + '/results/')).toBe(true);
      const path = pathOf(r.body.data.image_url);
      const via = await Promise.all([nginx.url, a.url, b.url].map((base) => get(base + path)));
      for (const v of via) expect(v.status).toBe(200);
      expect(readMark(via[0].bytes)).toBe(r.id);
      expect(Buffer.compare(Buffer.from(via[0].bytes), Buffer.from(via[1].bytes))).toBe(0);
      expect(Buffer.compare(Buffer.from(via[0].bytes), Buffer.from(via[2].bytes))).toBe(0);
    }
    // Both instances did work (least_conn spreads 6 concurrent clients over two pools of 1).
    for (const s of [a, b]) {
      const m = await (await fetch(s.url + '/metrics')).text();
      expect(Number(/face_reshape_http_requests_total\{route="api",code="200"\} (\d+)/.exec(m)?.[1] ?? 0)).toBeGreaterThan(10);
    }
  });

  it('batch client, 30 files: interrupted (kill -9) and resumed, one instance kill -9ed during the run; every output its own, none done twice; other clients see only 200s or retriable answers', async () => {
    const inDir = join(dir, 'batch-in');
    const outDir = join(dir, 'batch-out');
    mkdirSync(inDir);
    for (let i = 0; i < 30; i++) writeFileSync(join(inDir, `portrait-${String(i).padStart(2, '0')}.png`), markedPortrait(200 + i));
    const batch = () => {
      const p = spawn(process.execPath, [BIN, 'batch', '--endpoint', nginx.url, '--out-dir', outDir, '--shape', 'slim_face', '--strength', '0.8', '--concurrency', '4', inDir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      const exit = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
      return { p, out: () => out, err: () => err, exit };
    };
    const outputs = () => readdirSync(outDir).filter((n) => n.endsWith('.png'));

    // Run 1, stopped hard once 8 files are written.
    const run1 = batch();
    await until('8 results of run 1', () => (mkdirSync(outDir, { recursive: true }), outputs().length >= 8), 90_000);
    run1.p.kill('SIGKILL');
    await run1.exit;
    const first = new Set(outputs());
    const mtimes = new Map([...first].map((n) => [n, statSync(join(outDir, n)).mtimeMs]));
    expect(first.size).toBeGreaterThanOrEqual(8);
    expect(first.size).toBeLessThan(30);

    // Run 2, with other clients posting through nginx, and instance B killed once it has done 3 files.
    const run2 = batch();
    const others: Answer[] = [];
    let stop = false;
    const load = loadUntil(nginx.url, 2, 600, () => stop, others);
    await until('3 results of run 2', () => (run2.err().match(/\] done /g)?.length ?? 0) >= 3, 90_000);
    await b.kill9();
    const code = await run2.exit;
    stop = true;
    await load;
    expect(code, run2.out() + run2.err()).toBe(0);

    // Resumed: the files of run 1 were skipped, untouched; run 2 did each of the others once.
    expect(run2.err()).toContain(`${first.size} of 30 already in ${outDir}, skipped`);
    const doneInRun2 = [...run2.err().matchAll(/\] done \S+\/(portrait-\d\d)\.png → /g)].map((m) => `${m[1]}.png`);
    expect(doneInRun2.sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `portrait-${String(i).padStart(2, '0')}.png`)
        .filter((n) => !first.has(n))
        .sort(),
    );
    for (const [n, t] of mtimes) expect(statSync(join(outDir, n)).mtimeMs).toBe(t);
    expect(run2.out()).toMatch(new RegExp(`30 files: ${30 - first.size} done, ${first.size} skipped \\(already done\\), 0 failed`));

    // Every output is its own input, reshaped.
    expect(readdirSync(outDir).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `portrait-${String(i).padStart(2, '0')}.png`));
    for (let i = 0; i < 30; i++) {
      const out = readFileSync(join(outDir, `portrait-${String(i).padStart(2, '0')}.png`));
      expect(readMark(out)).toBe(200 + i);
      const before = decode(markedPortrait(200 + i));
      const after = decode(out);
      expect([after.width, after.height]).toEqual([before.width, before.height]);
      expect(meanDiff(before, after, FACE)).toBeGreaterThan(0.5);
    }

    // The other clients: nginx passed the killed instance's requests to the live one.
    expect(others.length).toBeGreaterThan(3);
    const bad = others.filter((r) => r.status !== 200 && ![502, 503, 504].includes(r.status));
    expect(bad.map((r) => `${r.status} ${r.error ?? JSON.stringify(r.body)}`)).toEqual([]);
    for (const r of others.filter((x) => x.status === 200)) expect(readMark((await get(r.body.data.image_url)).bytes)).toBe(r.id);
  });

  it('Redis stopped mid-load: 503 SERVICE_BUSY with Retry-After, never 500; restarted: 200s again, and results from before the outage still download', async () => {
    const seen: Answer[] = [];
    let phase: 'before' | 'down' | 'after' | 'done' = 'before';
    const tagged: Array<Answer & { phase: string }> = [];
    const load = loadUntil(nginx.url, 4, 700, () => phase === 'done', seen);
    const tag = setInterval(() => {
      for (const r of seen.splice(0)) tagged.push({ ...r, phase });
    }, 20);
    await until('200s before the outage', () => tagged.filter((r) => r.status === 200).length >= 6, 60_000);
    phase = 'down';
    await redis.stop('SIGTERM');
    await until('503s during the outage', () => tagged.filter((r) => r.phase === 'down' && r.status === 503).length >= 4, 30_000);
    const downloadDuring = await get(nginx.url + pathOf(tagged.find((r) => r.status === 200)!.body.data.image_url));
    await redis.restart();
    phase = 'after';
    await until('200s after the restart', () => tagged.filter((r) => r.phase === 'after' && r.status === 200).length >= 6, 60_000);
    phase = 'done';
    await load;
    clearInterval(tag);
    for (const r of seen.splice(0)) tagged.push({ ...r, phase });

    expect(tagged.filter((r) => r.status !== 200 && r.status !== 503).map((r) => `${r.phase} ${r.status} ${r.error ?? JSON.stringify(r.body)}`)).toEqual([]);
    for (const r of tagged.filter((x) => x.status === 503)) {
      expect(r.body.error_code_str).toBe('SERVICE_BUSY');
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
    }
    // A result asked for while Redis is down is "retry later", not "no such result".
    expect(downloadDuring.status).toBe(503);
    expect(downloadDuring.body.error_code_str).toBe('SERVICE_BUSY');
    // Every 200 (before, during, after) is downloadable now, and is its own image.
    const ok = tagged.filter((r) => r.status === 200);
    expect(ok.filter((r) => r.phase === 'before').length).toBeGreaterThanOrEqual(6);
    for (const r of ok) {
      const d = await get(nginx.url + pathOf(r.body.data.image_url));
      expect(d.status).toBe(200);
      expect(readMark(d.bytes)).toBe(r.id);
    }
    expect((await fetch(a.url + '/readyz')).status).toBe(200);
  });

  it("batch client against one instance with no queue: it retries the server's 503s after their Retry-After and finishes; against nothing, it retries network errors with backoff, then reports the files failed", async () => {
    const inDir = join(dir, 'retry-in');
    const outDir = join(dir, 'retry-out');
    mkdirSync(inDir);
    for (let i = 0; i < 6; i++) writeFileSync(join(inDir, `r${i}.png`), markedPortrait(300 + i));
    const run = (endpoint: string, extra: string[] = []) =>
      new Promise<{ code: number | null; out: string; err: string }>((ok) => {
        const p = spawn(process.execPath, [BIN, 'batch', '--endpoint', endpoint, '--out-dir', outDir, '--shape', '2', '--strength', '0.8', ...extra, inDir], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (err += d));
        p.once('exit', (code) => ok({ code, out, err }));
      });

    const busy = await run(c.url, ['--concurrency', '4', '--retries', '30']);
    expect(busy.code, busy.out + busy.err).toBe(0);
    // Pool 1, queue 0: most of 4 concurrent requests are refused 503 with Retry-After: 2, and waited for.
    expect(busy.err).toMatch(/HTTP 503; retrying in 2\.0 s/);
    expect(busy.out).toMatch(/6 files: 6 done, 0 skipped \(already done\), 0 failed, [1-9]\d* retries/);
    for (let i = 0; i < 6; i++) expect(readMark(readFileSync(join(outDir, `r${i}.png`)))).toBe(300 + i);

    rmSync(outDir, { recursive: true });
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const down = await run(nobody, ['--concurrency', '2', '--retries', '2', '--json']);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/network error.*retrying in \d\.\d s/);
    const summary = JSON.parse(down.out);
    expect(summary).toMatchObject({ files: 6, done: 0, failed: 6, retries: 12 });
    expect(summary.failures[0].error_msg).toMatch(/gave up after 3 attempts: network error/);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('a result expires when its TTL says (an instance with a 3 s TTL): its Redis key has the TTL as expiry, and after it the URL answers 404 on every instance and through nginx', async () => {
    const r = await reshape(c.url, 900);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const path = pathOf(r.body.data.image_url);
    const key = `face-reshape:r:${path.split('/').pop()}`;
    const client = new Redis(redis.url);
    try {
      const pttl = await client.pttl(key);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(3000);
      const d = await get(a.url + path);
      expect(d.status).toBe(200);
      expect(readMark(d.bytes)).toBe(900);
      await until('the key to expire', async () => (await client.exists(key)) === 0, 10_000);
    } finally {
      client.disconnect();
    }
    for (const base of [a.url, c.url, nginx.url]) {
      const d = await get(base + path);
      expect(d.status).toBe(404);
      expect(d.body.error_code_str).toBe('NOT_FOUND');
    }
  });
});
