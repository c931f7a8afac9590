import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RESULT_NAME, type StoredResult } from './store.js';

/**
 * Result images in Redis, so that several `face-reshape serve` instances share them: any instance
 * serves an `image_url` that another one stored. The same interface as ResultStore (store.ts).
 *
 * - Expiry is Redis's own: each image is `SET <prefix>r:<name> <bytes> PX <ttl>`; no sweeper of ours.
 * - The byte cap holds across instances: one Lua script (atomic in Redis) keeps an index of
 *   `name|size` scored by expiry time and a running total, forgets the index entries whose keys
 *   have expired, and evicts the oldest results only when they are older than `minLifetimeMs`; when
 *   that is not enough, nothing is stored and the request is answered 503 (never a result that
 *   vanishes soon after its URL was given out).
 *   The script names result keys it evicts itself, so it needs one Redis (or a primary with
 *   replicas), not Redis Cluster.
 * - A Redis that cannot be reached (down, restarting, too slow) raises StoreUnavailableError, which
 *   the server answers 503 SERVICE_BUSY with Retry-After: commands are not queued while
 *   disconnected and time out after `commandTimeoutMs`, so a request never hangs on Redis.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

export interface RedisResultStoreOptions {
  /** redis://[user:password@]host:port/db (rediss:// for TLS). */
  url: string;
  /** How long a result stays downloadable, ms (default 24 h). */
  ttlMs?: number;
  /** Cap on the bytes kept by all instances sharing this Redis and prefix (default 256 MiB). */
  maxBytes?: number;
  /** Results younger than this are never evicted to make room (default: the TTL or 10 min, whichever is shorter). */
  minLifetimeMs?: number;
  /** Key prefix (default `face-reshape:`); instances that share results must share it. */
  prefix?: string;
  /** Longest wait for one Redis command, ms (default 2000). */
  commandTimeoutMs?: number;
}

// KEYS: index (zset), total (string), result key. ARGV: now, ttl, max, minLife, member, size, bytes, result-key prefix.
// Returns 1 when stored, -1 when the image alone passes the cap, -2 when only young results stand in the way.
const PUT_SCRIPT = `
local now = tonumber(ARGV[1]); local ttl = tonumber(ARGV[2]); local max = tonumber(ARGV[3])
local minLife = tonumber(ARGV[4]); local size = tonumber(ARGV[6])
local function sizeOf(m) return tonumber(string.match(m, '|(%d+)$')) or 0 end
local total = tonumber(redis.call('GET', KEYS[2]) or '0')
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, m in ipairs(gone) do total = total - sizeOf(m) end
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) end
if total < 0 then total = 0 end
if size > max then redis.call('SET', KEYS[2], total); return -1 end
while total + size > max do
  local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now + ttl - minLife, 'LIMIT', 0, 1)
  if #old == 0 then redis.call('SET', KEYS[2], total); return -2 end
  redis.call('ZREM', KEYS[1], old[1])
  redis.call('DEL', ARGV[8] .. string.match(old[1], '^([^|]+)|'))
  total = total - sizeOf(old[1])
end
redis.call('SET', KEYS[3], ARGV[7], 'PX', ttl)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[5])
redis.call('SET', KEYS[2], total + size)
return 1
`;

export class RedisResultStore {
  readonly ttlMs: number;
  readonly maxBytes: number;
  readonly minLifetimeMs: number;
  /** Never a folder: the shared store is Redis (for the startup line, which prints `dir ?? …`). */
  readonly dir = null;
  readonly prefix: string;
  /** The URL without its password, for logs. */
  readonly where: string;
  private readonly redis: Redis;
  private kept = { count: 0, bytes: 0 };

  constructor(options: RedisResultStoreOptions) {
    this.ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.minLifetimeMs = Math.min(options.minLifetimeMs ?? 10 * 60_000, this.ttlMs);
    this.prefix = options.prefix ?? 'face-reshape:';
    const u = new URL(options.url);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`the results Redis must be a redis:// or rediss:// URL; got ${u.protocol}`);
    if (u.password) u.password = '***';
    this.where = u.toString();
    this.redis = new Redis(options.url, {
      // Fail fast while disconnected (→ 503) instead of queueing requests behind an outage.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      connectTimeout: 2000,
      // Reconnect for ever, at most every 2 s: the server comes back by itself when Redis does.
      retryStrategy: (times) => Math.min(100 * times, 2000),
      lazyConnect: false,
    });
    this.redis.defineCommand('frPut', { numberOfKeys: 3, lua: PUT_SCRIPT });
    // Connection errors are reported through `available`, /readyz and 503s; without a listener ioredis would print each one.
    this.redis.on('error', () => {});
  }

  /** Whether Redis is connected now (a request is refused at once with 503 when not). */
  get available(): boolean {
    return this.redis.status === 'ready';
  }

  /** Waits up to `ms` for the connection (at start-up). */
  async waitReady(ms: number): Promise<boolean> {
    if (this.available) return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(t);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const t = setTimeout(() => done(false), ms);
      this.redis.on('ready', onReady);
    });
  }

  /** A round trip to Redis (for /readyz). */
  async ping(): Promise<boolean> {
    try {
      return this.available && (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** What this instance stored and has not seen evicted (the shared total lives in Redis). */
  get stats(): { count: number; bytes: number } {
    return { ...this.kept };
  }

  /** Keeps the bytes; returns the result's file name (`<id>.png` or `<id>.jpg`). Throws StoreUnavailableError. */
  async put(bytes: Buffer, type: 'image/png' | 'image/jpeg'): Promise<string> {
    const name = `${randomBytes(18).toString('base64url')}.${type === 'image/png' ? 'png' : 'jpg'}`;
    let r: number;
    try {
      r = (await (this.redis as Redis & { frPut: (...a: Array<string | number | Buffer>) => Promise<number> }).frPut(
        this.prefix + 'index',
        this.prefix + 'bytes',
        this.key(name),
        Date.now(),
        this.ttlMs,
        this.maxBytes,
        this.minLifetimeMs,
        `${name}|${bytes.length}`,
        bytes.length,
        bytes,
        this.prefix + 'r:',
      )) as number;
    } catch (e) {
      throw new StoreUnavailableError(`the results store (Redis at ${this.where}) did not answer: ${(e as Error).message}`);
    }
    if (r === -1) throw new StoreUnavailableError(`the result (${bytes.length} bytes) is larger than the results cap (${this.maxBytes} bytes)`);
    if (r === -2) throw new StoreUnavailableError(`the results store is full of results younger than ${Math.round(this.minLifetimeMs / 1000)} s`);
    this.kept.count++;
    this.kept.bytes += bytes.length;
    return name;
  }

  /** The result, or null when the name is malformed, unknown or expired. Throws StoreUnavailableError. */
  async get(name: string): Promise<StoredResult | null> {
    if (!RESULT_NAME.test(name)) return null;
    let res: Array<[Error | null, unknown]> | null;
    try {
      res = await this.redis.multi().getBuffer(this.key(name)).pttl(this.key(name)).exec();
    } catch (e) {
      throw new StoreUnavailableError(`the results store (Redis at ${this.where}) did not answer: ${(e as Error).message}`);
    }
    if (!res || res.some(([err]) => err)) throw new StoreUnavailableError(`the results store (Redis at ${this.where}) failed to read a result`);
    const bytes = res[0][1] as Buffer | null;
    const pttl = res[1][1] as number;
    if (!bytes || pttl <= 0) return null;
    return { type: name.endsWith('.png') ? 'image/png' : 'image/jpeg', size: bytes.length, expires: Date.now() + pttl, bytes };
  }

  /** The Redis key of a result name (tests look at its TTL there). */
  key(name: string): string {
    return `${this.prefix}r:${name}`;
  }

  /** Closes the connection; with `purge`, first deletes the results this store's prefix holds. */
  async close(purge = false): Promise<void> {
    try {
      if (purge && this.available) {
        const names = await this.redis.zrange(this.prefix + 'index', 0, -1);
        const keys = names.map((m) => this.key(m.split('|')[0]));
        if (keys.length) await this.redis.del(...keys);
        await this.redis.del(this.prefix + 'index', this.prefix + 'bytes');
      }
    } finally {
      this.redis.disconnect();
    }
  }
}
