import { randomBytes } from 'node:crypto';
import { constants, lstatSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { open, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Where result images live until they expire: in memory (default) or in a folder, with a TTL and
 * a cap on the total bytes kept. When a new result would pass the cap, the oldest results are
 * dropped, but never one younger than `minLifetimeMs`: then the new one is refused (StoreFullError,
 * which the server answers 503 + Retry-After), so no client loses a result it was just given.
 * Names are `<id>.<png|jpg>`, the id 144 random bits (crypto) in base64url; a name is only ever
 * looked up in the index after matching RESULT_NAME, so no URL can name any other file.
 * A folder must be ours alone (owner, not writable by group or others; created 0700), and only
 * plain files are indexed or read (lstat, O_NOFOLLOW): a planted symlink is never served.
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
  /** No result younger than this is dropped to make room (default 10 min, or the TTL if shorter). */
  minLifetimeMs?: number;
}

/** The cap is reached and every result kept is younger than the minimum lifetime. */
export class StoreFullError extends Error {
  constructor(readonly retryAfterS: number) {
    super(`The result store is full of results younger than their minimum lifetime; retry in ${retryAfterS} s.`);
  }
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
  readonly minLifetimeMs: number;
  /** Insertion order = age order (Map keeps it), so eviction takes the first entries. */
  private readonly entries = new Map<string, Entry>();
  private total = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(options: ResultStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.minLifetimeMs = Math.min(this.ttlMs, options.minLifetimeMs ?? 10 * 60_000);
    this.dir = options.dir ? ownFolder(options.dir) : null;
    if (this.dir) {
      const found: Entry[] = [];
      const uid = process.getuid?.();
      for (const name of readdirSync(this.dir)) {
        if (!RESULT_NAME.test(name)) continue;
        const st = lstatSync(join(this.dir, name));
        // Plain files we wrote only: no symlinks, no hard links to files elsewhere.
        if (!st.isFile() || st.nlink !== 1 || (uid !== undefined && st.uid !== uid)) continue;
        found.push({ name, type: typeOf(name), size: st.size, expires: st.mtimeMs + this.ttlMs });
      }
      for (const e of found.sort((a, b) => a.expires - b.expires)) this.add(e);
    }
    const sweepMs = options.sweepMs ?? Math.min(60_000, Math.max(1000, this.ttlMs));
    this.timer = setInterval(() => void this.sweep(), sweepMs);
    this.timer.unref();
  }

  /** Always reachable (memory or a local folder); the Redis store's twin answers for its connection. */
  get available(): boolean {
    return true;
  }

  async ping(): Promise<boolean> {
    return true;
  }

  /** Bytes and count currently kept. */
  get stats(): { count: number; bytes: number } {
    return { count: this.entries.size, bytes: this.total };
  }

  /** Keeps the bytes; returns the result's file name (`<id>.png` or `<id>.jpg`). */
  async put(bytes: Buffer, type: 'image/png' | 'image/jpeg'): Promise<string> {
    const name = `${randomBytes(18).toString('base64url')}.${type === 'image/png' ? 'png' : 'jpg'}`;
    this.makeRoom(bytes.length);
    // Counted before the write, so that puts running together cannot pass the cap between them.
    const entry: Entry = { name, type, size: bytes.length, expires: Date.now() + this.ttlMs, bytes: this.dir ? undefined : bytes };
    this.add(entry);
    if (this.dir) {
      try {
        // 'wx' (O_CREAT|O_EXCL) never follows a symlink planted under the new name.
        await writeFile(join(this.dir, name), bytes, { mode: 0o600, flag: 'wx' });
      } catch (e) {
        this.entries.delete(name);
        this.total -= entry.size;
        throw e;
      }
    }
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
        bytes = await readPlainFile(join(this.dir!, e.name));
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

  /** Drops the oldest results past the minimum lifetime until `size` more bytes fit; throws StoreFullError when they do not. */
  private makeRoom(size: number, now = Date.now()): void {
    for (const old of this.entries.values()) {
      if (this.total + size <= this.maxBytes) return;
      if (old.expires - this.ttlMs + this.minLifetimeMs > now) break; // the oldest left is too young
      void this.drop(old);
    }
    if (this.total + size > this.maxBytes && this.entries.size) {
      const oldest = this.entries.values().next().value!;
      throw new StoreFullError(Math.max(1, Math.ceil((oldest.expires - this.ttlMs + this.minLifetimeMs - now) / 1000)));
    }
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

/** Creates the folder 0700, or checks that an existing one is ours alone; returns its real path. */
function ownFolder(dir: string): string {
  mkdirSync(resolve(dir), { recursive: true, mode: 0o700 });
  const real = realpathSync(resolve(dir));
  const st = statSync(real);
  const uid = process.getuid?.();
  if (!st.isDirectory()) throw new Error(`--results-dir ${dir} is not a folder.`);
  if (uid !== undefined && st.uid !== uid) {
    throw new Error(`--results-dir ${dir} belongs to another user (uid ${st.uid}); use a folder of your own (it is created 0700 when absent).`);
  }
  if (st.mode & 0o022) {
    throw new Error(
      `--results-dir ${dir} is writable by ${st.mode & 0o002 ? 'every user' : 'its group'} (mode ${(st.mode & 0o777).toString(8)}), so others could plant files there; run \`chmod 700 ${dir}\` or name a new folder (created 0700).`,
    );
  }
  return real;
}

/** Reads a plain file without following a symlink (O_NOFOLLOW), checking it is a file once open. */
async function readPlainFile(path: string): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!(await fh.stat()).isFile()) throw new Error('not a plain file');
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

function typeOf(name: string): string {
  return TYPE_BY_EXT[name.endsWith('.png') ? 'png' : 'jpg'];
}
