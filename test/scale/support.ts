import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ROOT } from '../support/env';
import { descendants, freePort } from '../support/processes';
import { startServer, type ServerProc } from '../serve/support';

export { freePort };

/**
 * Real processes for the scale-out tests and bench: redis-server and nginx (Debian packages) on
 * loopback ports, and `face-reshape serve` instances; each owned by the caller and stopped by PID.
 */

/** Debian puts nginx in /usr/sbin, which a user's PATH may lack. */
const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`${what} not ready within ${ms} ms`);
}

export interface Proc {
  proc: ChildProcess;
  output(): string;
  /** Stops it with `signal` and waits for the exit (SIGKILL after 10 s). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function own(proc: ChildProcess): Proc {
  let out = '';
  proc.stdout?.on('data', (d) => (out += d));
  proc.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())));
  return {
    proc,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface RedisProc extends Proc {
  port: number;
  url: string;
  /** Starts it again on the same port and data folder (after `stop`). */
  restart(): Promise<void>;
}

/** redis-server on 127.0.0.1, data in `dir` (append-only file, so a stop and restart keep the results). */
export async function startRedis(dir: string): Promise<RedisProc> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  let cur: Proc;
  const launch = async () => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cur = own(proc);
    await waitFor('redis-server', () => /Ready to accept connections/.test(cur.output()) || proc.exitCode !== null, 15_000);
    if (proc.exitCode !== null) throw new Error(`redis-server exited:\n${cur.output()}`);
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    get proc() {
      return cur.proc;
    },
    output: () => cur.output(),
    stop: (signal) => cur.stop(signal),
    restart: launch,
  };
}

export interface NginxProc extends Proc {
  url: string;
  port: number;
  accessLog: string;
}

/**
 * nginx with deploy/nginx.conf as committed, but for its listen port, its upstream servers and
 * its paths, which are the test's: the configuration users get is the one under test.
 */
export async function startNginx(dir: string, upstreamPorts: number[], port?: number): Promise<NginxProc> {
  port ??= await freePort();
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755); // nginx's workers (another user when run as root) use its temp folders
  let conf = readFileSync(resolve(ROOT, 'deploy/nginx.conf'), 'utf8');
  const servers = /^(\s*)server 127\.0\.0\.1:8787 (.*);$/m.exec(conf);
  if (!servers || !/listen 8080;/.test(conf) || !/access_log \S+;/.test(conf)) throw new Error('deploy/nginx.conf changed shape: update test/scale/support.ts');
  conf = conf.replace(/^\s*server 127\.0\.0\.1:878[89] .*;\n/gm, '');
  conf = conf.replace(servers[0], upstreamPorts.map((p) => `${servers[1]}server 127.0.0.1:${p} ${servers[2]};`).join('\n'));
  conf = conf.replace('listen 8080;', `listen 127.0.0.1:${port};`);
  const accessLog = join(dir, 'access.log');
  conf = conf.replace(/access_log \S+;/, `access_log ${accessLog};`);
  conf = conf.replace('http {', `http {\n    client_body_temp_path ${dir}/body;\n    proxy_temp_path ${dir}/proxy;\n    fastcgi_temp_path ${dir}/fastcgi;\n    uwsgi_temp_path ${dir}/uwsgi;\n    scgi_temp_path ${dir}/scgi;`);
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  const args = ['-p', dir, '-c', file, '-e', join(dir, 'error.log'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`];
  const check = spawnSync(NGINX, ['-t', ...args], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t failed:\n${check.stderr}`);
  const p = own(spawn(NGINX, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('nginx', async () => {
    if (p.proc.exitCode !== null) throw new Error(`nginx exited:\n${p.output()}\n${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    try {
      await fetch(url + '/healthz');
      return true;
    } catch {
      return false;
    }
  });
  // SIGQUIT: graceful shutdown (SIGTERM is nginx's fast one; either is fine for a test).
  return { ...p, url, port, accessLog, stop: (signal = 'SIGQUIT') => p.stop(signal) };
}

export interface Instance extends ServerProc {
  port: number;
  /** kill -9 of the server's PID; its Chromium processes (orphaned by that) are killed after it. */
  kill9(): Promise<void>;
}

/** `face-reshape serve` on a given port, results in `redisUrl`; pool 1. */
export async function startInstance(port: number, redisUrl: string, extra: string[] = []): Promise<Instance> {
  const s = await startServer(['--port', String(port), '--pool', '1', '--results-redis', redisUrl, ...extra]);
  return {
    ...s,
    port,
    async kill9() {
      const below = descendants(s.proc.pid!);
      const gone = new Promise((r) => s.proc.once('exit', r));
      process.kill(s.proc.pid!, 'SIGKILL');
      await gone;
      for (const d of below) {
        try {
          process.kill(d.pid, 'SIGKILL');
        } catch {
          // already gone with its parent
        }
      }
    },
  };
}

/** Every process below `pid`, to kill after a test in case one outlived its parent. */
export function processTree(pid: number): number[] {
  return [pid, ...descendants(pid).map((d) => d.pid)];
}

/** CPU time (user + system) of these processes and all below them, seconds (from /proc). */
export function cpuSeconds(pids: number[]): number {
  const hz = 100; // USER_HZ on Linux
  let ticks = 0;
  const seen = new Set<number>();
  for (const root of pids) {
    for (const pid of [root, ...descendants(root).map((d) => d.pid)]) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(f[11]) + Number(f[12]); // utime, stime
      } catch {
        // ended
      }
    }
  }
  return ticks / hz;
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  return (f.reduce((a, b) => a + b, 0) - idle) / 100;
}

// ---- Images that say who they are ----

const hopper = jpeg.decode(readFileSync(resolve(ROOT, 'test/fixtures/grace_hopper.jpg')), { useTArray: true, formatAsRGBA: true });

/** A mark's corner block: 16×16 px at (4, 4), far from the face, so a reshape leaves it as it is. */
const MARK = { x: 4, y: 4, size: 16 };

/**
 * Grace Hopper at half size (256×300 PNG), with `id` (0–1023) written as a colour in the top-left
 * corner: R = 8·(id mod 32), G = 8·⌊id / 32⌋, B = 200. Small, so the tests spend little CPU per reshape.
 */
export function markedPortrait(id: number): Buffer {
  const w = hopper.width >> 1;
  const h = hopper.height >> 1;
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 4; c++) {
        const at = (yy: number, xx: number) => hopper.data[(yy * hopper.width + xx) * 4 + c];
        png.data[(y * w + x) * 4 + c] = c === 3 ? 255 : (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1) + 2) >> 2;
      }
  const rgb = [8 * (id % 32), 8 * Math.floor(id / 32), 200];
  for (let y = MARK.y; y < MARK.y + MARK.size; y++)
    for (let x = MARK.x; x < MARK.x + MARK.size; x++) png.data.set([...rgb, 255], (y * w + x) * 4);
  return PNG.sync.write(png);
}

/** The id a result carries in its corner, or -1 when the mark is unreadable. */
export function readMark(bytes: Uint8Array): number {
  const d = bytes[0] === 0x89 ? PNG.sync.read(Buffer.from(bytes)) : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  const i = ((MARK.y + MARK.size / 2) * d.width + MARK.x + MARK.size / 2) * 4;
  const [r, g, b] = [d.data[i], d.data[i + 1], d.data[i + 2]];
  if (Math.abs(b - 200) > 6 || Math.abs(r - 8 * Math.round(r / 8)) > 3 || Math.abs(g - 8 * Math.round(g / 8)) > 3) return -1;
  return Math.round(r / 8) + 32 * Math.round(g / 8);
}
