import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Where result images live until they expire: in memory (default) or in a folder, with a TTL and
 * a cap on the total bytes kept (the oldest results are dropped first when a new one would pass it).
 * Names are `<id>.<png|jpg>`, the id 144 random bits (crypto) in base64url; a name is only ever
 * looked up in the index after matching RESULT_NAME, so no URL can name any other file.
 */
export const RESULT_NAME = /^[A-Za-z0-9_-]{24}\.(png|jpg)$/;

const TYPE_BY_EXT = { png: 'image/png', jpg: 'image/jpeg' } as const;

export interface ResultStoreOptions {
  /** How long a result stays downloadable, ms (default 24 h, as the cloud). */
  ttlMs?: number;
  /** Cap on the bytes kept (default 256 MiB). */
  maxBytes?: number;
  /** Folder for the files; default: memory. Created if absent; results left from an earlier run stay served until their TTL (by file time). */
  dir?: string;
  /** How often expired results are swept, ms (default 60 s or the TTL if shorter). */
  sweepMs?: number;
}

interface Entry {
  name: string;
  type: string;
  size: number;
  expires: number;
  bytes?: Buffer;
}

export interface StoredResult {
  type: string;
  size: number;
  expires: number;
  bytes: Buffer;
}

export class ResultStore {
  readonly ttlMs: number;
  readonly maxBytes: number;
  readonly dir: string | null;
  /** Insertion order = age order (Map keeps it), so eviction takes the first entries. */
  private readonly entries = new Map<string, Entry>();
  private total = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(options: ResultStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.dir = options.dir ? resolve(options.dir) : null;
    if (this.dir) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const found: Entry[] = [];
      for (const name of readdirSync(this.dir)) {
        if (!RESULT_NAME.test(name)) continue;
        const st = statSync(join(this.dir, name));
        found.push({ name, type: typeOf(name), size: st.size, expires: st.mtimeMs + this.ttlMs });
      }
      for (const e of found.sort((a, b) => a.expires - b.expires)) this.add(e);
    }
    const sweepMs = options.sweepMs ?? Math.min(60_000, Math.max(1000, this.ttlMs));
    this.timer = setInterval(() => void this.sweep(), sweepMs);
    this.timer.unref();
  }

  /** Bytes and count currently kept. */
  get stats(): { count: number; bytes: number } {
    return { count: this.entries.size, bytes: this.total };
  }

  /** Keeps the bytes; returns the result's file name (`<id>.png` or `<id>.jpg`). */
  async put(bytes: Buffer, type: 'image/png' | 'image/jpeg'): Promise<string> {
    const name = `${randomBytes(18).toString('base64url')}.${type === 'image/png' ? 'png' : 'jpg'}`;
    if (this.dir) await writeFile(join(this.dir, name), bytes, { mode: 0o600, flag: 'wx' });
    this.add({ name, type, size: bytes.length, expires: Date.now() + this.ttlMs, bytes: this.dir ? undefined : bytes });
    return name;
  }

  /** The result, or null when the name is malformed, unknown or expired. */
  async get(name: string): Promise<StoredResult | null> {
    if (!RESULT_NAME.test(name)) return null;
    const e = this.entries.get(name);
    if (!e) return null;
    if (e.expires <= Date.now()) {
      void this.drop(e);
      return null;
    }
    let bytes = e.bytes;
    if (!bytes) {
      try {
        bytes = await readFile(join(this.dir!, e.name));
      } catch {
        void this.drop(e);
        return null;
      }
    }
    return { type: e.type, size: e.size, expires: e.expires, bytes };
  }

  /** Drops expired results. */
  async sweep(now = Date.now()): Promise<void> {
    await Promise.all([...this.entries.values()].filter((e) => e.expires <= now).map((e) => this.drop(e)));
  }

  /** Stops the sweeper; with `purge`, deletes every result (files too). */
  async close(purge = false): Promise<void> {
    clearInterval(this.timer);
    if (purge) await Promise.all([...this.entries.values()].map((e) => this.drop(e)));
  }

  private add(e: Entry): void {
    this.entries.set(e.name, e);
    this.total += e.size;
    for (const old of this.entries.values()) {
      if (this.total <= this.maxBytes || old === e) break;
      void this.drop(old);
    }
  }

  private drop(e: Entry): Promise<void> {
    if (!this.entries.delete(e.name)) return Promise.resolve();
    this.total -= e.size;
    return this.dir ? rm(join(this.dir, e.name), { force: true }).catch(() => {}) : Promise.resolve();
  }
}

function typeOf(name: string): string {
  return TYPE_BY_EXT[name.endsWith('.png') ? 'png' : 'jpg'];
}
