import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ROOT } from '../support/env';

/** The drop-in server as a user runs it: `node bin/face-reshape.js serve …` in its own process. */
export interface ServerProc {
  url: string;
  api: string;
  proc: ChildProcess;
  /** Everything the server printed (stdout + stderr). */
  output(): string;
  /** Resident memory of the server process (Node; Chromium is separate), bytes. */
  rss(): number;
  /** SIGTERM and wait for the exit code (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

export const BIN = resolve(ROOT, 'packages/face-reshape/bin/face-reshape.js');
export const API_PATH = '/api/portrait/effects/face-tidyup';

export async function startServer(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServerProc> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const url = await new Promise<string>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`server did not start in 120 s:\n${out}`)), 120_000);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        ok(m[1]);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(t);
      fail(new Error(`server exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    url,
    api: url + API_PATH,
    proc,
    output: () => out,
    rss() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : NaN;
    },
    async stop(graceMs = 60_000) {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export interface Fields {
  image?: Uint8Array | string | Array<Uint8Array | string>;
  shape_type?: string | string[];
  strength?: string | string[];
  edit?: string[];
  [other: string]: Uint8Array | string | Array<Uint8Array | string> | undefined;
}

/** A FormData as a browser or Node client builds it; byte values become files. */
export function formData(fields: Fields): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) {
      if (typeof x === 'string') fd.append(k, x);
      else fd.append(k, new Blob([x as BlobPart]), `${k}.bin`);
    }
  }
  return fd;
}

export async function post(api: string, fields: Fields, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any; ms: number }> {
  const t0 = performance.now();
  const r = await fetch(api, { method: 'POST', body: formData(fields), headers });
  const text = await r.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: r.status, headers: r.headers, body, ms: performance.now() - t0 };
}

/** Raw HTTP over a socket, for requests no client library would send (traversal, slow bodies). */
export function rawHttp(
  url: string,
  request: string | Buffer,
  opts: { keepOpenMs?: number; timeoutMs?: number; localAddress?: string } = {},
): Promise<{ status: number; head: string; body: string; ms: number }> {
  const { hostname, port } = new URL(url);
  const t0 = performance.now();
  return new Promise((resolveP, reject) => {
    // localAddress (e.g. 127.0.0.2) makes a second client on the same machine, as the server counts clients by address.
    const sock = connect({ port: Number(port), host: hostname, localAddress: opts.localAddress });
    let data = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer within ${opts.timeoutMs ?? 20_000} ms; got ${JSON.stringify(data.slice(0, 200))}`));
    }, opts.timeoutMs ?? 20_000);
    sock.on('data', (d) => (data += d.toString('latin1')));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      const [head, ...rest] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolveP({ status, head, body: rest.join('\r\n\r\n'), ms: performance.now() - t0 });
    });
    sock.write(request);
    // Without keepOpenMs, half-close after writing so the server answers and closes.
    if (opts.keepOpenMs === undefined) sock.end();
  });
}

export interface Decoded {
  width: number;
  height: number;
  data: Uint8Array;
}

export function decode(bytes: Uint8Array): Decoded {
  if (bytes[0] === 0x89) {
    const p = PNG.sync.read(Buffer.from(bytes));
    return { width: p.width, height: p.height, data: new Uint8Array(p.data) };
  }
  const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  return { width: j.width, height: j.height, data: j.data };
}

/** Mean absolute RGB difference inside a box given as fractions of the image [x0, y0, x1, y1]. */
export function meanDiff(a: Decoded, b: Decoded, box: [number, number, number, number] = [0, 0, 1, 1]): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.floor(box[1] * a.height); y < Math.floor(box[3] * a.height); y++)
    for (let x = Math.floor(box[0] * a.width); x < Math.floor(box[2] * a.width); x++) {
      const i = (y * a.width + x) * 4;
      sum += Math.abs(a.data[i] - b.data[i]) + Math.abs(a.data[i + 1] - b.data[i + 1]) + Math.abs(a.data[i + 2] - b.data[i + 2]);
      n += 3;
    }
  return n ? sum / n : 0;
}

/** A mirrored copy (same size, different content), encoded like the original. */
export function mirrored(bytes: Uint8Array): Uint8Array {
  const d = decode(bytes);
  const out = new Uint8Array(d.data.length);
  for (let y = 0; y < d.height; y++)
    for (let x = 0; x < d.width; x++) out.set(d.data.subarray((y * d.width + x) * 4, (y * d.width + x) * 4 + 4), (y * d.width + (d.width - 1 - x)) * 4);
  if (bytes[0] === 0x89) {
    const p = new PNG({ width: d.width, height: d.height });
    p.data = Buffer.from(out);
    return new Uint8Array(PNG.sync.write(p));
  }
  return new Uint8Array(jpeg.encode({ width: d.width, height: d.height, data: out }, 92).data);
}

export const FIXTURES = {
  astronaut: new Uint8Array(readFileSync(resolve(ROOT, 'test/fixtures/astronaut.png'))),
  hopper: new Uint8Array(readFileSync(resolve(ROOT, 'test/fixtures/grace_hopper.jpg'))),
};

export async function download(url: string): Promise<{ status: number; type: string | null; bytes: Uint8Array }> {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type'), bytes: new Uint8Array(await r.arrayBuffer()) };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
