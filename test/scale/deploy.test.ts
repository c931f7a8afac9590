import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CLOUD_LIMITS } from 'webgpu-face-reshape/compat';
import { parseCli } from '../../packages/face-reshape/src/cli/args';
import { serveOptionsFromCli } from '../../packages/face-reshape/src/cli/serve';
import { HEALTH_PATHS } from '../../packages/face-reshape/src/serve/health';
import { ROOT } from '../support/env';

/**
 * deploy/: no cluster is reachable here, so the Kubernetes manifests are validated offline against
 * the Kubernetes API's JSON schemas (kubernetes-models, generated from Kubernetes 1.27's OpenAPI),
 * and checked against the server itself: the container's arguments are parsed by the CLI's own
 * parser, the probes name its real paths and port. nginx.conf's limits are checked against the
 * server's defaults. (The cluster test runs nginx.conf for real; these manifests are never applied.)
 */
const K8S = resolve(ROOT, 'deploy/k8s');
const MODELS = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
} as const;

type Doc = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec: any };

function manifests(): Array<Doc & { file: string }> {
  const out: Array<Doc & { file: string }> = [];
  for (const file of readdirSync(K8S).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(resolve(K8S, file), 'utf8'))) {
      expect(d.errors, file).toEqual([]);
      out.push({ ...(d.toJS() as Doc), file });
    }
  }
  return out;
}

const find = (docs: Doc[], kind: string, name: string) => {
  const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!d) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return d;
};

describe('deploy/k8s', () => {
  it('every manifest is valid against the Kubernetes schemas (and the validator does catch a broken one)', () => {
    const docs = manifests();
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      ['Deployment/face-reshape', 'Deployment/face-reshape-redis', 'HorizontalPodAutoscaler/face-reshape', 'PodDisruptionBudget/face-reshape', 'Service/face-reshape', 'Service/face-reshape-redis'].sort(),
    );
    for (const d of docs) {
      const Model = MODELS[`${d.apiVersion}/${d.kind}` as keyof typeof MODELS];
      expect(Model, `${d.file}: ${d.apiVersion} ${d.kind} has no schema here`).toBeDefined();
      const { file, ...body } = d;
      expect(() => new Model(body as never).validate(), file).not.toThrow();
    }
    const broken = structuredClone(find(docs, 'Deployment', 'face-reshape')) as any;
    delete broken.file;
    broken.spec.template.spec.containers[0].readinessProbe.httpGet.port = { name: 'http' };
    expect(() => new Deployment(broken).validate()).toThrow(/readinessProbe\/httpGet\/port/);
  });

  it("the Deployment's probes are the server's paths on the port its arguments give; the Service, HPA, PDB and Redis agree with it", () => {
    const docs = manifests();
    const dep = find(docs, 'Deployment', 'face-reshape');
    const pod = dep.spec.template.spec;
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];

    // The container's arguments, through the CLI's own parser.
    const { command, values } = parseCli(c.args);
    expect(command).toBe('serve');
    const env = Object.fromEntries((c.env as Array<{ name: string; value?: string }>).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    const opts = serveOptionsFromCli(values, env);
    expect(opts.host).toBe('0.0.0.0');
    const http = (c.ports as Array<{ name: string; containerPort: number }>).find((p) => p.name === 'http')!;
    expect(http.containerPort).toBe(opts.port);
    const portOf = (p: string | number) => (typeof p === 'number' ? p : c.ports.find((x: { name: string }) => x.name === p)?.containerPort);

    expect(c.readinessProbe.httpGet.path).toBe(HEALTH_PATHS.ready);
    expect(c.livenessProbe.httpGet.path).toBe(HEALTH_PATHS.live);
    expect(c.startupProbe.httpGet.path).toBe(HEALTH_PATHS.live);
    for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe]) expect(portOf(p.httpGet.port)).toBe(opts.port);

    // Graceful stop: preStop, then SIGTERM lets the longest job finish, all within the grace period.
    const preStop = c.lifecycle.preStop.exec.command;
    expect(preStop[0]).toBe('sleep');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(preStop[1]) + opts.jobTimeoutMs! / 1000);

    // Results in the Redis Service of redis.yaml.
    expect(opts.resultsRedis).toBeDefined();
    const redisUrl = new URL(opts.resultsRedis!);
    const redisSvc = find(docs, 'Service', redisUrl.hostname);
    expect(redisSvc.spec.ports.map((p: { port: number }) => p.port)).toContain(Number(redisUrl.port));
    const redisDep = find(docs, 'Deployment', 'face-reshape-redis');
    expect(redisSvc.spec.selector).toEqual(redisDep.spec.template.metadata.labels);

    // The Service selects these pods and targets the server's port; the HPA and PDB name them.
    const svc = find(docs, 'Service', 'face-reshape');
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
    expect(dep.spec.template.metadata.labels).toMatchObject(dep.spec.selector.matchLabels);
    expect(portOf(svc.spec.ports[0].targetPort)).toBe(opts.port);
    const hpa = find(docs, 'HorizontalPodAutoscaler', 'face-reshape');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: dep.metadata.name });
    expect(c.resources.requests.cpu).toBeDefined(); // CPU utilization is a share of the request
    expect(find(docs, 'PodDisruptionBudget', 'face-reshape').spec.selector.matchLabels).toEqual(dep.spec.selector.matchLabels);
  });
});

describe('deploy/nginx.conf', () => {
  const conf = readFileSync(resolve(ROOT, 'deploy/nginx.conf'), 'utf8');
  const directive = (name: string) => {
    const m = new RegExp(`^\\s*${name}\\s+([^;]+);`, 'm').exec(conf);
    if (!m) throw new Error(`nginx.conf has no ${name}`);
    return m[1].trim();
  };
  const seconds = (v: string) => Number(/^(\d+)s$/.exec(v)![1]);
  const defaults = serveOptionsFromCli({});

  it("its limits agree with the server's defaults: bodies the server judges pass, no upload outlives the server's timer, no reshape is cut", () => {
    expect(Number(/^(\d+)m$/.exec(directive('client_max_body_size'))![1]) * 1024 * 1024).toBeGreaterThan(CLOUD_LIMITS.maxBytes);
    expect(seconds(directive('client_body_timeout')) * 1000).toBeLessThanOrEqual(defaults.uploadTimeoutMs!);
    expect(seconds(directive('proxy_read_timeout')) * 1000).toBeGreaterThan(defaults.jobTimeoutMs!);
    expect(directive('proxy_next_upstream').split(/\s+/)).toEqual(expect.arrayContaining(['error', 'timeout', 'non_idempotent']));
    expect(directive('proxy_next_upstream')).not.toContain('http_503');
    expect(directive('proxy_set_header Host')).toBe('$host');
  });
});
