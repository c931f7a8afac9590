// Throughput through nginx (deploy/nginx.conf) with 1 and then 2 `face-reshape serve` instances
// (pool 2 each, results in one redis-server), in one run, with the CPU each part used.
//   npx tsx bench/scaleout.ts [--requests 40] [--concurrency 8] [--json]
// Needs the built CLI (npm run build), redis-server and nginx. `benchScaleout()` is exported for bench/run.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, machineBusySeconds, startInstance, startNginx, startRedis, type Instance, type NginxProc } from '../test/scale/support';
import { cloudForms, loadServe } from './serve';


export interface ScaleoutResult {
  scaleout_requests: number;
  scaleout_concurrency: number;
  /** Requests/s through nginx with one instance, then two. */
  scaleout_rps_1: number;
  scaleout_rps_2: number;
  scaleout_ratio: number;
  /** Cores kept busy by the instances (Node + Chromium), nginx and Redis, from their CPU time over the run's wall time. */
  scaleout_server_cores_1: number;
  scaleout_server_cores_2: number;
  /** Cores busy on the whole machine (the bench's client and anything else running included), from /proc/stat. */
  scaleout_machine_cores_1: number;
  scaleout_machine_cores_2: number;
  /** CPU seconds the servers spent per request. */
  scaleout_cpu_s_per_req_1: number;
  scaleout_cpu_s_per_req_2: number;
  /** Cores of this machine. */
  scaleout_cores: number;
}

export async function benchScaleout(options: { requests?: number; concurrency?: number } = {}): Promise<ScaleoutResult> {
  const requests = options.requests ?? 40;
  const concurrency = options.concurrency ?? 8;
  const form = cloudForms();
  const dir = mkdtempSync(join(tmpdir(), 'face-reshape-scaleout-'));
  const redis = await startRedis(join(dir, 'redis'));
  const instances: Instance[] = [];
  const balancers: NginxProc[] = [];
  try {
    const [pA, pB] = [await freePort(), await freePort()];
    const extra = ['--pool', '2', '--queue', String(Math.max(16, concurrency))];
    instances.push(...(await Promise.all([startInstance(pA, redis.url, extra), startInstance(pB, redis.url, extra)])));
    balancers.push(await startNginx(join(dir, 'nginx1'), [pA]), await startNginx(join(dir, 'nginx2'), [pA, pB]));
    for (const s of instances) await loadServe(s.api, 4, 2, form); // warm-up: each page's first job compiles its pipelines

    const pids = () => [...instances.map((s) => s.proc.pid!), ...balancers.map((b) => b.proc.pid!), redis.proc.pid!];
    const phase = async (nginx: NginxProc) => {
      const cpu0 = cpuSeconds(pids());
      const busy0 = machineBusySeconds();
      const { wallMs, results } = await loadServe(`${nginx.url}/api/portrait/effects/face-tidyup`, requests, concurrency, form);
      const cpu = cpuSeconds(pids()) - cpu0;
      const busy = machineBusySeconds() - busy0;
      const bad = results.filter((r) => r.status !== 200);
      if (bad.length) throw new Error(`${bad.length} of ${requests} requests failed through nginx: ${JSON.stringify(bad[0].json)}`);
      const s = wallMs / 1000;
      return { rps: requests / s, cores: cpu / s, machine: busy / s, perReq: cpu / requests };
    };
    const one = await phase(balancers[0]);
    const two = await phase(balancers[1]);
    const r2 = (v: number) => Math.round(v * 100) / 100;
    return {
      scaleout_requests: requests,
      scaleout_concurrency: concurrency,
      scaleout_rps_1: r2(one.rps),
      scaleout_rps_2: r2(two.rps),
      scaleout_ratio: r2(two.rps / one.rps),
      scaleout_server_cores_1: r2(one.cores),
      scaleout_server_cores_2: r2(two.cores),
      scaleout_machine_cores_1: r2(one.machine),
      scaleout_machine_cores_2: r2(two.machine),
      scaleout_cpu_s_per_req_1: Math.round(one.perReq * 1000) / 1000,
      scaleout_cpu_s_per_req_2: Math.round(two.perReq * 1000) / 1000,
      scaleout_cores: (await import('node:os')).availableParallelism(),
    };
  } finally {
    for (const b of balancers) await b.stop();
    await Promise.all(instances.map((s) => s.stop()));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function describeScaleout(r: ScaleoutResult): string[] {
  return [
    `scaleout_rps_1        ${r.scaleout_rps_1.toFixed(2).padStart(9)}   (through nginx, 1 instance of pool 2; servers used ${r.scaleout_server_cores_1} cores, ${r.scaleout_cpu_s_per_req_1} CPU-s/request; machine ${r.scaleout_machine_cores_1} of ${r.scaleout_cores} cores busy)`,
    `scaleout_rps_2        ${r.scaleout_rps_2.toFixed(2).padStart(9)}   (2 instances; servers used ${r.scaleout_server_cores_2} cores, ${r.scaleout_cpu_s_per_req_2} CPU-s/request; machine ${r.scaleout_machine_cores_2} of ${r.scaleout_cores} cores busy)`,
    `  ratio 2/1           ${r.scaleout_ratio.toFixed(2).padStart(9)}   (${r.scaleout_requests} requests, ${r.scaleout_concurrency} concurrent, results in Redis)`,
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const num = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const r = await benchScaleout({ requests: num('requests'), concurrency: num('concurrency') });
  if (args.includes('--json')) process.stdout.write(JSON.stringify(r) + '\n');
  else for (const line of describeScaleout(r)) console.log(line);
}
