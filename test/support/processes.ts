import { createServer } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';

/** Every process below `root` (children, grandchildren, …), with its command line, from /proc. */
export function descendants(root: number): Array<{ pid: number; args: string }> {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after its last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // The process ended while we looked.
    }
  }
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
