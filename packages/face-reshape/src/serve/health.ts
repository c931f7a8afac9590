import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PagePool } from './pool.js';

/**
 * Probes and metrics for a load balancer, Kubernetes and Prometheus:
 *   GET /healthz  200 while the process serves HTTP (liveness);
 *   GET /readyz   200 when the Chromium pool is up, the results store reachable and the server not
 *                 shutting down; 503 otherwise, with the reasons (readiness: take it out of rotation);
 *   GET /metrics  Prometheus text: requests by route and status, queue length, pool busy/size,
 *                 job seconds, results store up, and Node's process metrics (CPU, memory).
 * None needs the API key, none reads a body; they say nothing about requests' content.
 */
export const HEALTH_PATHS = { live: '/healthz', ready: '/readyz', metrics: '/metrics' } as const;

export interface HealthSources {
  pool: PagePool;
  /** The results store; `ping()` says whether it answers (always, for memory and a folder). */
  store: { ping(): Promise<boolean> };
  /** True once the server stopped taking requests (SIGTERM): not ready, so balancers drain it. */
  closing: () => boolean;
  /** The API route, labelled apart from the others in the request counter. */
  apiPath: string;
  resultsPrefix: string;
}

/** Adds the three routes and the request counter hook to `app`; call once, before `listen`. */
export function registerHealth(app: FastifyInstance, src: HealthSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'face_reshape_http_requests_total',
    help: 'HTTP requests answered, by route (api, results, probe, other) and status code.',
    labelNames: ['route', 'code'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'face_reshape_queue_length',
    help: 'Reshape jobs waiting for a free page.',
    registers: [registry],
    collect() {
      this.set(src.pool.stats.queued);
    },
  });
  new Gauge({
    name: 'face_reshape_pool_busy',
    help: 'Pages reshaping now.',
    registers: [registry],
    collect() {
      this.set(src.pool.stats.running);
    },
  });
  new Gauge({
    name: 'face_reshape_pool_size',
    help: 'Pages in the pool.',
    registers: [registry],
    collect() {
      this.set(src.pool.stats.size);
    },
  });
  const jobSeconds = new Histogram({
    name: 'face_reshape_job_seconds',
    help: 'Time of a reshape job in the pool, from submission (queue wait included) to its answer.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 120],
    registers: [registry],
  });
  const storeUp = new Gauge({ name: 'face_reshape_results_store_up', help: '1 when the results store answers, 0 when not.', registers: [registry] });

  // Every job goes through pool.submit; timing it here keeps the server's handler free of metrics code.
  const submit = src.pool.submit.bind(src.pool);
  src.pool.submit = (job) => {
    const end = jobSeconds.startTimer();
    const p = submit(job);
    p.then(
      () => end(),
      () => end(),
    );
    return p;
  };

  const routeOf = (url: string | undefined) =>
    url === src.apiPath ? 'api' : url?.startsWith(src.resultsPrefix) ? 'results' : url && Object.values(HEALTH_PATHS).includes(url as never) ? 'probe' : 'other';
  app.addHook('onResponse', async (req, reply) => {
    requests.inc({ route: routeOf(req.routeOptions.url), code: String(reply.statusCode) });
  });

  const storeOk = () => src.store.ping();
  const ready = async (): Promise<string[]> => {
    const why: string[] = [];
    if (src.closing()) why.push('shutting down');
    // A pool that can restart its browser may say so with `ready`; a started pool is otherwise ready.
    if ((src.pool as { ready?: boolean }).ready === false) why.push('reshaper pool not ready');
    const up = await storeOk();
    storeUp.set(up ? 1 : 0);
    if (!up) why.push('results store unreachable');
    return why;
  };

  const plain = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };
  app.get(HEALTH_PATHS.live, async (_req, reply) => reply.headers(plain).send('ok\n'));
  app.get(HEALTH_PATHS.ready, async (_req, reply) => {
    const why = await ready();
    return reply.code(why.length ? 503 : 200).headers(plain).send(why.length ? `not ready: ${why.join('; ')}\n` : 'ready\n');
  });
  app.get(HEALTH_PATHS.metrics, async (_req, reply) => {
    storeUp.set((await storeOk()) ? 1 : 0);
    return reply.headers({ 'content-type': registry.contentType, 'cache-control': 'no-store' }).send(await registry.metrics());
  });
  return registry;
}
