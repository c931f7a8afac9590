import { readdirSync, readFileSync } from 'node:fs';

/**
 * Notices when Chromium's GPU process dies (Linux, from /proc): its pages then lose their WebGPU
 * devices and WebGL contexts, which the library rebuilds inside each page, but a job caught in it
 * may take long to finish. Polls the known GPU process cheaply (`kill(pid, 0)`); rescans Chromium's
 * process tree only while none is known. Elsewhere than Linux it never fires.
 */
export class GpuProcessWatch {
  private pid: number | null = null;
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly browserPid: number | undefined,
    private readonly onDeath: () => void,
    intervalMs = 500,
  ) {
    this.timer = browserPid && process.platform === 'linux' ? setInterval(() => this.poll(), intervalMs) : null;
    this.timer?.unref();
    this.poll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private poll(): void {
    if (!this.browserPid) return;
    if (this.pid !== null) {
      if (alive(this.pid)) return;
      this.pid = null;
      this.onDeath();
    }
    this.pid = gpuChildOf(this.browserPid);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (killed, not yet reaped by Chromium) counts as dead.
    return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every process's children, by parent pid, from /proc (Linux); null where there is no /proc. */
export function processChildren(): Map<number, number[]> | null {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  const children = new Map<number, number[]>();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after its last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // ended while we looked
    }
  }
  return children;
}

/** The --type=gpu-process below Chromium's main process (a child of its zygote on Linux), or null. */
function gpuChildOf(browserPid: number): number | null {
  const children = processChildren();
  if (!children) return null;
  const todo = [...(children.get(browserPid) ?? [])];
  for (let pid = todo.shift(); pid !== undefined; pid = todo.shift()) {
    try {
      // Chromium rewrites its command line (one string with spaces, not NUL-separated arguments).
      if (/(^|[\s\0])--type=gpu-process([\s\0]|$)/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) return pid;
    } catch {
      continue;
    }
    todo.push(...(children.get(pid) ?? []));
  }
  return null;
}
