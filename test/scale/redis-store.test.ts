import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../packages/face-reshape/src/cli/args';
import { serveOptionsFromCli } from '../../packages/face-reshape/src/cli/serve';
import { RedisResultStore, StoreUnavailableError } from '../../packages/face-reshape/src/serve/redis-store';
import { startRedis, type RedisProc } from './support';

/** The Redis result store on a real redis-server: TTL as the key's expiry, the shared byte cap, the minimum lifetime, outages. */
const dir = mkdtempSync(join(tmpdir(), 'face-reshape-redis-store-'));
let redis: RedisProc;
let raw: Redis;
const stores: RedisResultStore[] = [];
let n = 0;

function store(opts: { maxBytes?: number; minLifetimeMs?: number; ttlMs?: number } = {}) {
  // Each test its own prefix: its own index and total.
  const s = new RedisResultStore({ url: redis.url, prefix: `t${n++}:`, ...opts });
  stores.push(s);
  return s;
}
const bytes = (len: number, fill: number) => Buffer.alloc(len, fill);

beforeAll(async () => {
  redis = await startRedis(join(dir, 'redis'));
  raw = new Redis(redis.url);
  raw.on('error', () => {}); // while the outage test stops Redis
});
afterAll(async () => {
  for (const s of stores) await s.close().catch(() => {});
  raw?.disconnect();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('RedisResultStore', () => {
  it('keeps bytes under a random name with the TTL as the key expiry; another store on the same Redis reads them', async () => {
    const a = store({ ttlMs: 60_000 });
    await a.waitReady(5000);
    const name = await a.put(bytes(1000, 7), 'image/png');
    expect(name).toMatch(/^[A-Za-z0-9_-]{24}\.png$/);
    const pttl = await raw.pttl(a.key(name));
    expect(pttl).toBeGreaterThan(50_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    const b = new RedisResultStore({ url: redis.url, prefix: a.prefix });
    stores.push(b);
    await b.waitReady(5000);
    const got = await b.get(name);
    expect(got?.type).toBe('image/png');
    expect(got?.bytes.equals(bytes(1000, 7))).toBe(true);
    expect(got!.expires - Date.now()).toBeGreaterThan(50_000);
    expect(await b.get('AAAAAAAAAAAAAAAAAAAAAAAA.png')).toBeNull();
    expect(await b.get('../../etc/passwd')).toBeNull();
  });

  it('the byte cap is shared by every store on the prefix: the oldest results go first, once older than the minimum lifetime', async () => {
    const a = store({ maxBytes: 1000, minLifetimeMs: 1 });
    await a.waitReady(5000);
    const b = new RedisResultStore({ url: redis.url, prefix: a.prefix, maxBytes: 1000, minLifetimeMs: 1 });
    stores.push(b);
    await b.waitReady(5000);
    const first = await a.put(bytes(400, 1), 'image/png');
    await new Promise((r) => setTimeout(r, 5));
    const second = await b.put(bytes(400, 2), 'image/png');
    await new Promise((r) => setTimeout(r, 5));
    const third = await a.put(bytes(400, 3), 'image/jpeg'); // 1200 > 1000: the first (a's) goes
    expect(await raw.exists(a.key(first))).toBe(0);
    expect(await a.get(first)).toBeNull();
    expect((await a.get(second))?.bytes[0]).toBe(2);
    expect((await b.get(third))?.type).toBe('image/jpeg');
    expect(Number(await raw.get(`${a.prefix}bytes`))).toBe(800);
  });

  it('never evicts a result younger than the minimum lifetime: it refuses the new one (→ 503), and one larger than the cap', async () => {
    const s = store({ maxBytes: 1000, minLifetimeMs: 60_000 });
    await s.waitReady(5000);
    const kept = [await s.put(bytes(400, 1), 'image/png'), await s.put(bytes(400, 2), 'image/png')];
    await expect(s.put(bytes(400, 3), 'image/png')).rejects.toThrow(/younger than 60 s/);
    await expect(s.put(bytes(400, 3), 'image/png')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(s.put(bytes(1001, 3), 'image/png')).rejects.toThrow(/larger than the results cap/);
    for (const k of kept) expect(await s.get(k)).not.toBeNull();
    expect(await s.put(bytes(200, 4), 'image/png')).toMatch(/\.png$/); // what fits is still kept
  });

  it('forgets expired results in its total, so the cap frees up as keys expire', async () => {
    const s = store({ maxBytes: 1000, minLifetimeMs: 60_000, ttlMs: 300 });
    await s.waitReady(5000);
    const old = await s.put(bytes(900, 1), 'image/png');
    await expect(s.put(bytes(900, 2), 'image/png')).rejects.toBeInstanceOf(StoreUnavailableError);
    while ((await raw.exists(s.key(old))) === 1) await new Promise((r) => setTimeout(r, 50));
    expect(await s.put(bytes(900, 2), 'image/png')).toMatch(/\.png$/);
    expect(Number(await raw.get(`${s.prefix}bytes`))).toBe(900);
  });

  it('with Redis down, put and get throw StoreUnavailableError and `available` is false; when it is back, they work again', async () => {
    const s = store();
    await s.waitReady(5000);
    const name = await s.put(bytes(100, 9), 'image/png');
    await redis.stop('SIGTERM');
    // The client learns of the closed socket asynchronously (on a loaded machine, after the process has exited).
    await vi.waitFor(() => expect(s.available).toBe(false), { timeout: 5000 });
    await expect(s.put(bytes(100, 1), 'image/png')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(s.get(name)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await s.ping()).toBe(false);
    await redis.restart();
    expect(await s.waitReady(10_000)).toBe(true);
    expect((await s.get(name))?.bytes[0]).toBe(9); // kept across the restart (append-only file)
    expect(await s.ping()).toBe(true);
  });
});

describe('serve --results-redis', () => {
  it('takes a redis:// URL from the flag or FACE_RESHAPE_RESULTS_REDIS, refuses other values (without echoing a password) and --results-dir beside it', () => {
    expect(serveOptionsFromCli({ 'results-redis': 'redis://10.0.0.5:6379/2' }).resultsRedis).toBe('redis://10.0.0.5:6379/2');
    expect(serveOptionsFromCli({}, { FACE_RESHAPE_RESULTS_REDIS: 'rediss://:pw@cache:6380' }).resultsRedis).toBe('rediss://:pw@cache:6380');
    expect(serveOptionsFromCli({}).resultsRedis).toBeUndefined();
    expect(() => serveOptionsFromCli({ 'results-redis': 'http://cache:6379' })).toThrow(UsageError);
    expect(() => serveOptionsFromCli({ 'results-redis': 'redis://:secret@cache:6379/0/x' })).toThrow(/redis:\/\/:\*\*\*@cache/);
    expect(() => serveOptionsFromCli({ 'results-redis': 'redis://:secret@cache:6379/0/x' })).not.toThrow(/secret/);
    expect(() => serveOptionsFromCli({ 'results-redis': 'redis://cache:6379/0', 'results-dir': '/tmp/x' })).toThrow(/exclude each other/);
  });
});
