import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendants, listeningPorts } from '../support/processes';
import { BIN, FIXTURES, post, rawHttp, startServer, type ServerProc } from './support';

/**
 * `face-reshape serve` against hostile local clients: every port its processes listen on gets
 * malformed requests, over-long URLs and headers, and methods it does not answer; Host headers of
 * other names (DNS rebinding); 40 stalled uploads from one client; a symlink planted in the results
 * folder. The server stays up, every answer is an envelope, and other clients are still served.
 */
const TMP = mkdtempSync(join(tmpdir(), 'face-reshape-hostile-'));
const DIR = join(TMP, 'results');
const SECRET = join(TMP, 'secret.txt');
const PLANTED = 'P'.repeat(24) + '.png';
let server: ServerProc;
const ok = { shape_type: '2', strength: '0.5' };

beforeAll(async () => {
  mkdirSync(DIR, { mode: 0o700 });
  writeFileSync(SECRET, 'top secret');
  symlinkSync(SECRET, join(DIR, PLANTED));
  server = await startServer(['--results-dir', DIR, '--upload-timeout', '8s', '--public-url', 'http://faces.example.test:8080', '--allow-host', 'extra.test']);
});
afterAll(async () => {
  if (server) expect(await server.stop(), server.output()).toBe(0);
  rmSync(TMP, { recursive: true, force: true });
});

/** Status and parsed envelope of a raw request; the envelope check is the caller's. */
async function raw(url: string, request: string, opts: { localAddress?: string; keepOpenMs?: number } = {}) {
  const r = await rawHttp(url, request, { ...opts, timeoutMs: 30_000 });
  let body: any = null;
  try {
    body = JSON.parse(r.body);
  } catch {
    /* not JSON */
  }
  return { ...r, env: body };
}

function expectEnvelope(r: { status: number; env: any; head: string }, status: number, code: string, what: string) {
  expect([r.status, r.env?.error_code, r.env?.error_detail?.status_code, r.env?.error_detail?.code], `${what}: ${r.head}`).toEqual([status, status, status, code]);
  expect(r.env.error_detail.message.length, what).toBeGreaterThan(10);
}

describe('face-reshape serve against hostile local clients', () => {
  it('listens on one port only (no internal asset or DevTools port); malformed requests there get envelopes and the server stays up', async () => {
    const pids = [server.proc.pid!, ...descendants(server.proc.pid!).map((p) => p.pid)];
    const ports = [...new Set(pids.flatMap((pid) => (() => { try { return listeningPorts(pid); } catch { return []; } })()))];
    const apiPort = Number(new URL(server.url).port);
    console.log(`listening ports of the server and its ${pids.length - 1} child processes: ${ports.join(', ')}`);
    expect(ports).toEqual([apiPort]);
    for (const port of ports) {
      const url = `http://127.0.0.1:${port}`;
      expectEnvelope(await raw(url, 'GET /%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 400, 'BAD_REQUEST', 'bad %-escape');
      expectEnvelope(await raw(url, 'GET /results/%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 400, 'BAD_REQUEST', 'bad %-escape in a result name');
      expectEnvelope(await raw(url, 'GET /% HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 400, 'BAD_REQUEST', 'a lone %');
      expectEnvelope(await raw(url, 'GARBAGE\r\n\r\n'), 405, 'METHOD_NOT_ALLOWED', 'no request line (an unknown method to the parser)');
      expectEnvelope(await raw(url, 'GET / XTTP/1.1\r\n\r\n'), 400, 'BAD_REQUEST', 'a malformed request line');
      expectEnvelope(await raw(url, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n'), 400, 'BAD_REQUEST', 'a malformed header');
      const long = '/results/' + 'A'.repeat(8 * 1024);
      for (const path of [long, '/api/portrait/effects/face-tidyup/' + 'A'.repeat(8 * 1024), '/' + 'B'.repeat(8 * 1024)]) {
        const r = await raw(url, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        expectEnvelope(r, 414, 'URI_TOO_LONG', '8 KB URL');
        expect(r.body, 'the path is not echoed').not.toMatch(/AAAAAAAA|BBBBBBBB/);
      }
      const big = await raw(url, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`);
      expectEnvelope(big, 431, 'HEADERS_TOO_LARGE', '20 KB header');
    }
    expect(server.proc.exitCode).toBeNull();
    expect((await post(server.api, { image: FIXTURES.astronaut, ...ok })).status).toBe(200);
  });

  it('answers every method but POST on the API path with a 405 envelope (OPTIONS and TRACE too), and non-GET on results likewise', async () => {
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'FOO']) {
      const r = await raw(server.url, `${method} /api/portrait/effects/face-tidyup HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      if (method === 'HEAD') {
        expect(r.status, method).toBe(405);
        continue;
      }
      expectEnvelope(r, 405, 'METHOD_NOT_ALLOWED', method);
      expect(r.head, method).toMatch(/\r\nallow: POST/i);
    }
    for (const method of ['POST', 'DELETE', 'OPTIONS', 'TRACE']) {
      const r = await raw(server.url, `${method} /results/${'A'.repeat(24)}.png HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      expectEnvelope(r, 405, 'METHOD_NOT_ALLOWED', `${method} on a result`);
    }
  });

  it('answers only for its own host names (DNS rebinding gets 421 before the body is read)', async () => {
    const port = new URL(server.url).port;
    const form = `--b\r\nContent-Disposition: form-data; name="shape_type"\r\n\r\n2\r\n--b--\r\n`;
    const postWith = (host: string) =>
      raw(server.url, `POST /api/portrait/effects/face-tidyup HTTP/1.1\r\nHost: ${host}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n${form}`);
    for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example', 'faces.example.test.evil', 'bad host']) {
      expectEnvelope(await postWith(host), 421, 'MISDIRECTED_REQUEST', `Host ${host}`);
    }
    // Its own names reach the API (which then finds the image missing: 400 MISSING_PARAMETERS).
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`, '10.1.2.3', 'faces.example.test', 'faces.example.test:8080', 'extra.test']) {
      expectEnvelope(await postWith(host), 400, 'MISSING_PARAMETERS', `Host ${host}`);
    }
  });

  it('40 stalled uploads from one client do not starve another: it gets 200s, the staller 429s (and 408s)', async () => {
    const head =
      `POST /api/portrait/effects/face-tidyup HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 200000\r\n\r\n` +
      `--XyZ\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`;
    // A second address on the loopback stands for a second machine.
    const stalls = Array.from({ length: 40 }, () => raw(server.url, head, { localAddress: '127.0.0.2', keepOpenMs: 60_000 }).catch((e: Error) => ({ status: -1, env: null, head: e.message, body: '', ms: 0 })));
    await new Promise((r) => setTimeout(r, 500));
    const served: number[] = [];
    for (let i = 0; i < 3; i++) served.push((await post(server.api, { image: FIXTURES.astronaut, ...ok })).status);
    const stalled = await Promise.all(stalls);
    const count = (s: number) => stalled.filter((r) => r.status === s).length;
    console.log(`other client while 40 uploads stall: ${served.join(' ')}; the stalled client got ${count(429)}× 429, ${count(408)}× 408, ${stalled.length - count(429) - count(408)}× other`);
    expect(served).toEqual([200, 200, 200]);
    expect(count(429) + count(408)).toBe(40);
    expect(count(429)).toBeGreaterThan(0);
    for (const r of stalled.filter((x) => x.status === 429)) {
      expectEnvelope(r, 429, 'TOO_MANY_REQUESTS', 'stalled');
      expect(r.head).toMatch(/\r\nretry-after: \d+/i);
    }
  });

  it('never serves a symlink planted in --results-dir, and refuses a folder writable by others', async () => {
    const r = await raw(server.url, `GET /results/${PLANTED} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expectEnvelope(r, 404, 'NOT_FOUND', 'planted symlink');
    expect(r.body).not.toContain('top secret');
    const open = join(TMP, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const p = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--results-dir', open], { encoding: 'utf8', timeout: 60_000 });
    expect(p.status, p.stderr).not.toBe(0);
    expect(p.stderr).toMatch(/writable by every user.*chmod 700/);
  });
});
