import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from '../../packages/face-reshape/src/node/chromium';
import { chromiumMain, chromiumProcess, cpuTicks, descendants } from '../support/processes';
import { FIXTURES, post, startServer, type ServerProc } from './support';

/**
 * `face-reshape serve` while parts of it are killed by their own PID (kill -9) under a load of
 * concurrent valid requests: Chromium's GPU process, a renderer that runs a reshaper, and
 * Chromium's main process. Every request in flight at the kill is answered within 10 s (200, or a
 * 5xx such as 503 SERVICE_BUSY with Retry-After), a valid face gets 200 again within 30 s, and no
 * valid face is ever answered with a 4xx (422 "no face" above all). Then: a Chromium that cannot
 * be relaunched makes the server exit non-zero, for its supervisor to restart it.
 */
const TMP = mkdtempSync(join(tmpdir(), 'face-reshape-faults-'));
let server: ServerProc;

beforeAll(async () => {
  server = await startServer(['--pool', '2', '--queue', '8']);
});
afterAll(async () => {
  if (server && server.proc.exitCode === null) expect(await server.stop(), server.output()).toBe(0);
  rmSync(TMP, { recursive: true, force: true });
});

interface Answer {
  status: number;
  code: string;
  retryAfter: string | null;
  sent: number;
  done: number;
}

/** Four clients post valid faces back to back; `kill` runs once answers flow; the load stops when a request sent after the kill got 200 (or 30 s passed). */
async function underLoad(kill: () => void): Promise<{ answers: Answer[]; killedAt: number; recoveredAt: number | null }> {
  const answers: Answer[] = [];
  let killedAt = Infinity;
  let recoveredAt: number | null = null;
  let stop = false;
  const client = async (i: number) => {
    while (!stop) {
      const sent = performance.now();
      const r = await post(server.api, { image: i % 2 ? FIXTURES.astronaut : FIXTURES.hopper, shape_type: '2', strength: '0.5' });
      const done = performance.now();
      answers.push({ status: r.status, code: r.body?.error_detail?.code ?? '', retryAfter: r.headers.get('retry-after'), sent, done });
      if (r.status === 200 && sent > killedAt && recoveredAt === null) recoveredAt = done;
      if (r.status !== 200) await new Promise((res) => setTimeout(res, 250)); // as a client honouring Retry-After, briefly
    }
  };
  const clients = [0, 1, 2, 3].map(client);
  const t0 = performance.now();
  while (answers.filter((a) => a.status === 200).length < 2 && performance.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
  // Every client has a request in flight now (each answer is followed at once by the next request).
  await new Promise((r) => setTimeout(r, 300));
  killedAt = performance.now();
  kill();
  while (recoveredAt === null && performance.now() - killedAt < 30_000) await new Promise((r) => setTimeout(r, 100));
  stop = true;
  await Promise.all(clients);
  return { answers, killedAt, recoveredAt };
}

function check(label: string, { answers, killedAt, recoveredAt }: Awaited<ReturnType<typeof underLoad>>) {
  const inFlight = answers.filter((a) => a.sent < killedAt && a.done > killedAt);
  const after = answers.filter((a) => a.sent >= killedAt);
  const summary = (xs: Answer[]) => xs.map((a) => `${a.status}${a.code ? ' ' + a.code : ''} @${((a.done - killedAt) / 1000).toFixed(1)}s`).join(', ');
  console.log(`${label}: in flight at the kill → ${summary(inFlight)}; after: ${after.length} requests, first 200 ${recoveredAt === null ? 'never' : `${((recoveredAt - killedAt) / 1000).toFixed(1)} s`} after the kill; codes ${[...new Set(after.map((a) => a.status + ' ' + a.code))].join(', ')}`);
  console.log(`${label}: server events: ${server.output().split('\n').filter((l) => /warning: (page|Chromium)/.test(l)).slice(-4).map((l) => l.replace(/^.*warning: /, '')).join(' | ')}`);
  expect(inFlight.length, `${label}: requests in flight at the kill`).toBeGreaterThan(0);
  for (const a of inFlight) {
    expect(a.status === 200 || a.status >= 500, `${label}: in-flight answer ${a.status} ${a.code}`).toBe(true);
    expect(a.done - killedAt, `${label}: in-flight answered ${a.status} ${a.code}`).toBeLessThanOrEqual(10_000);
  }
  for (const a of answers) {
    expect(a.status === 200 || a.status >= 500, `${label}: a valid face answered ${a.status} ${a.code}`).toBe(true);
    if (a.status === 503) expect(Number(a.retryAfter), `${label}: 503 ${a.code} without Retry-After`).toBeGreaterThan(0);
  }
  expect(recoveredAt, `${label}: no 200 after the kill`).not.toBeNull();
  expect(recoveredAt! - killedAt, `${label}: the first 200 after the kill`).toBeLessThanOrEqual(30_000);
  expect(server.proc.exitCode, `${label}: the server exited`).toBeNull();
}

describe('face-reshape serve survives its parts being killed under load', () => {
  it('kill -9 of the GPU process: answered, recovered, never "no face"', async () => {
    const root = server.proc.pid!;
    check('GPU process', await underLoad(() => process.kill(chromiumProcess(root, 'gpu-process'), 'SIGKILL')));
  });

  it('kill -9 of a renderer running a reshaper: its job gets 503 at once, the page is replaced', async () => {
    const root = server.proc.pid!;
    check(
      'renderer',
      await underLoad(() => {
        // The busiest renderer runs a reshaper (the initial blank tab's renderer does nothing).
        const renderers = descendants(root).filter((p) => p.args.includes('--type=renderer'));
        const busiest = renderers.map((p) => ({ pid: p.pid, cpu: cpuTicks(p.pid) })).sort((a, b) => b.cpu - a.cpu)[0];
        process.kill(busiest.pid, 'SIGKILL');
      }),
    );
    expect(server.output()).toMatch(/page \d replaced/);
  });

  it('kill -9 of Chromium’s main process: in-flight jobs get 503 at once, Chromium is relaunched', async () => {
    const root = server.proc.pid!;
    check('Chromium main', await underLoad(() => process.kill(chromiumMain(root), 'SIGKILL')));
    expect(server.output()).toMatch(/Chromium relaunched/);
    // The old Chromium's processes are gone: one main process again.
    expect(() => chromiumMain(root)).not.toThrow();
  });

  it('exits with code 1 when Chromium cannot be relaunched (a supervisor restarts it)', async () => {
    // A Chromium that starts once, then refuses to start: the marker file stands for a broken install.
    const marker = join(TMP, 'broken');
    const wrapper = join(TMP, 'chromium-once');
    writeFileSync(wrapper, `#!/bin/sh\n[ -e '${marker}' ] && exit 1\nexec '${findChromium()}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const doomed = await startServer(['--pool', '1'], { CHROMIUM_PATH: wrapper });
    try {
      expect((await post(doomed.api, { image: FIXTURES.astronaut, shape_type: '2', strength: '0.5' })).status).toBe(200);
      writeFileSync(marker, '');
      process.kill(chromiumMain(doomed.proc.pid!), 'SIGKILL');
      // While it retries, requests are answered 503 with Retry-After, not left hanging.
      const during = await post(doomed.api, { image: FIXTURES.astronaut, shape_type: '2', strength: '0.5' }).catch(() => null);
      if (during) expect([during.status, during.body?.error_detail?.code]).toEqual([503, 'SERVICE_BUSY']);
      const code = await new Promise<number | null>((r) => (doomed.proc.exitCode !== null ? r(doomed.proc.exitCode) : doomed.proc.once('exit', (c) => r(c))));
      console.log(`server with an unrelaunchable Chromium exited with code ${code}:\n${doomed.output().trim().split('\n').slice(-4).join('\n')}`);
      expect(code).toBe(1);
      expect(doomed.output()).toMatch(/could not be relaunched/);
    } finally {
      if (doomed.proc.exitCode === null) await doomed.stop(5000);
      expect(existsSync(marker)).toBe(true);
    }
  });
});
