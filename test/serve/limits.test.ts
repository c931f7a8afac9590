import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, FIXTURES, post, rawHttp, startServer, type ServerProc } from './support';

/**
 * One reshaping page and one queue slot, a 2 s upload timeout, 3 s results kept on disk, and an
 * API key from the environment: every limit of the server is reachable in a few seconds.
 */
const KEY = 'test-key-' + Math.random().toString(36).slice(2);
const DIR = mkdtempSync(join(tmpdir(), 'face-reshape-results-'));
let server: ServerProc;
const ok = { shape_type: '2', strength: '0.5' };
const auth = { 'ailabapi-api-key': KEY };

beforeAll(async () => {
  server = await startServer(['--pool', '1', '--queue', '1', '--upload-timeout', '2s', '--result-ttl', '3s', '--results-dir', DIR, '--log'], {
    FACE_RESHAPE_API_KEY: KEY,
  });
});
afterAll(async () => {
  if (server && server.proc.exitCode === null) await server.stop();
  rmSync(DIR, { recursive: true, force: true });
});

describe('face-reshape serve: limits', () => {
  it('requires the API key (401 envelope for a missing or wrong key, before reading the body)', async () => {
    for (const headers of [{} as Record<string, string>, { 'ailabapi-api-key': '' }, { 'ailabapi-api-key': KEY + 'x' }, { 'ailabapi-api-key': KEY.slice(0, -1) }, { 'ailabapi-api-key': 'k' }]) {
      const r = await post(server.api, { image: FIXTURES.astronaut, ...ok }, headers);
      expect([r.status, r.body.error_code, r.body.error_detail.code], JSON.stringify(headers)).toEqual([401, 401, 'INVALID_API_KEY']);
      expect(r.body.data).toBeUndefined();
    }
    // A 3 MB body with a wrong key is answered without the client failing (the rest is drained).
    const big = await post(server.api, { image: new Uint8Array(3 * 1024 * 1024), ...ok }, { 'ailabapi-api-key': 'nope' });
    expect(big.status).toBe(401);
    const good = await post(server.api, { image: FIXTURES.astronaut, ...ok }, auth);
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    // Results are capability URLs: fetched without the key.
    expect((await download(good.body.data.image_url)).status).toBe(200);
  });

  it('times out a client that never finishes its body (408) while other requests go on', async () => {
    const boundary = 'XyZ';
    const head =
      `POST /api/portrait/effects/face-tidyup HTTP/1.1\r\nHost: 127.0.0.1\r\nailabapi-api-key: ${KEY}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 200000\r\n\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`;
    const slow = rawHttp(server.url, Buffer.concat([Buffer.from(head), Buffer.from(FIXTURES.astronaut.subarray(0, 5000))]), { keepOpenMs: 60_000, timeoutMs: 20_000 });
    // Meanwhile, a normal request is served.
    const t0 = performance.now();
    const other = await post(server.api, { image: FIXTURES.astronaut, ...ok }, auth);
    const otherMs = performance.now() - t0;
    const r = await slow;
    console.log(`stalled upload answered ${r.status} after ${r.ms.toFixed(0)} ms; a request meanwhile took ${otherMs.toFixed(0)} ms`);
    expect(other.status).toBe(200);
    expect(r.status).toBe(408);
    expect(JSON.parse(r.body).error_detail.code).toBe('REQUEST_TIMEOUT');
    expect(r.ms).toBeGreaterThan(1500);
    expect(r.ms).toBeLessThan(8000);
    // Several stalled clients at once do not stop the server either.
    const stalls = Array.from({ length: 6 }, () => rawHttp(server.url, Buffer.from(head), { keepOpenMs: 60_000, timeoutMs: 20_000 }));
    expect((await post(server.api, { image: FIXTURES.astronaut, ...ok }, auth)).status).toBe(200);
    for (const s of await Promise.all(stalls)) expect(s.status).toBe(408);
  });

  it('answers 503 with Retry-After when the queue is full, and recovers afterwards', async () => {
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => post(server.api, { image: i % 2 ? FIXTURES.astronaut : FIXTURES.hopper, ...ok }, auth)));
    const statuses = burst.map((r) => r.status);
    console.log(`burst of 8 on pool 1 + queue 1: ${statuses.join(' ')}`);
    const busy = burst.filter((r) => r.status === 503);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    for (const r of busy) {
      expect([r.body.error_code, r.body.error_detail.code]).toEqual([503, 'SERVICE_BUSY']);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Recovered: sequential requests are all served.
    for (let i = 0; i < 3; i++) expect((await post(server.api, { image: FIXTURES.astronaut, ...ok }, auth)).status).toBe(200);
  });

  it('keeps results on disk for their TTL only, under unguessable names, then 404', async () => {
    const r = await post(server.api, { image: FIXTURES.hopper, ...ok }, auth);
    const url: string = r.body.data.image_url;
    const name = url.split('/').pop()!;
    expect(readdirSync(DIR)).toContain(name);
    expect(statSync(join(DIR, name)).mode & 0o077).toBe(0);
    const d = await download(url);
    expect([d.status, d.type, d.bytes[0], d.bytes[1]]).toEqual([200, 'image/jpeg', 0xff, 0xd8]);
    await new Promise((res) => setTimeout(res, 3500));
    expect((await download(url)).status).toBe(404);
    // The sweeper removes the files of every expired result.
    await new Promise((res) => setTimeout(res, 3500));
    expect(readdirSync(DIR)).toEqual([]);
  });

  it('logs with --log one line per request without any request content', () => {
    const lines = server.output().trim().split('\n').slice(1);
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) expect(l).toMatch(/^\S+Z (POST|GET|HEAD|OPTIONS) (\/api\/portrait\/effects\/face-tidyup|\/results\/:name|\(no route\)) \d{3} \d+ ms$/);
    expect(server.output()).not.toContain(KEY);
  });

  it('on SIGTERM finishes the requests in flight, refuses new ones, and exits 0', async () => {
    const inflight = [post(server.api, { image: FIXTURES.hopper, ...ok }, auth), post(server.api, { image: FIXTURES.astronaut, ...ok }, auth)];
    await new Promise((res) => setTimeout(res, 150));
    const code = server.stop();
    const done = await Promise.all(inflight);
    expect(done.map((r) => r.status), JSON.stringify(done.map((r) => r.body))).toEqual([200, 200]);
    expect(await code).toBe(0);
    expect(server.output()).toMatch(/SIGTERM: finishing \d request\(s\) in flight/);
    await expect(fetch(server.api, { method: 'POST' })).rejects.toThrow();
  });
});
