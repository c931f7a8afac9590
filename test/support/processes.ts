import { createServer } from 'node:net';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { processChildren } from '../../packages/face-reshape/src/node/gpu-watch';

/** Every process below `root` (children, grandchildren, …), with its command line, from /proc. */
export function descendants(root: number): Array<{ pid: number; args: string }> {
  const children = processChildren() ?? new Map<number, number[]>();
  const out: Array<{ pid: number; args: string }> = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      let args = '';
      try {
        args = readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        continue;
      }
      out.push({ pid: c, args });
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** The one Chromium process of a `--type=…` (gpu-process, renderer, …) below `root`. */
export function chromiumProcess(root: number, type: string): number {
  const found = descendants(root).filter((p) => p.args.includes(`--type=${type} `) || p.args.endsWith(`--type=${type}`));
  if (found.length !== 1) throw new Error(`expected one Chromium --type=${type} process below ${root}, found ${found.length}`);
  return found[0].pid;
}

/** A free TCP port on 127.0.0.1 (free when asked; the caller binds it right away). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** Chromium's main (browser) process below `root`: the one Chromium process without a --type. */
export function chromiumMain(root: number): number {
  const found = descendants(root).filter((p) => /chrom/i.test(p.args.split(' ')[0]) && !p.args.includes('--type='));
  if (found.length !== 1) throw new Error(`expected one Chromium main process below ${root}, found ${found.length}: ${found.map((p) => p.args.slice(0, 80)).join(' | ')}`);
  return found[0].pid;
}

/** CPU time (user + system, clock ticks) a process has used so far. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** The TCP ports a process listens on (from its socket fds and /proc/net/tcp{,6}). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed while we looked
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
    }
  }
  return ports;
}
