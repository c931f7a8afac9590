import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { LIBRARY_FILES, startRuntime, type Runtime, type RuntimePage } from './runtime.js';

/**
 * The CLI's persistent Chromium profile, so what Chromium caches on disk (Dawn's shader cache) outlives
 * one command. Intercepted responses never reach Chromium's HTTP cache, so the CLI's page keeps the two
 * big files (KEPT_ASSETS, 16 MB) in its origin's Cache Storage, keyed by their hash: a later run reads
 * them from disk instead of receiving them over DevTools again (~1.5 s). V8 caches the landmark wasm's
 * compiled code only once enough of it is optimised, which a short run does not reach (see README).
 * Folder: $XDG_CACHE_HOME/face-reshape/chromium-profile, else
 * ~/.cache/…. One Chromium may use a profile at a time, so a lock file (created with O_EXCL, holding
 * our pid) guards it; a second CLI running meanwhile gets a throw-away profile instead (puppeteer's
 * temporary one) and is only slower. FACE_RESHAPE_PROFILE=off (or --no-profile) opts out;
 * FACE_RESHAPE_PROFILE=DIR picks another folder.
 */

export interface ChromiumProfile {
  /** The profile folder in use, or null for a throw-away one. */
  dir: string | null;
  /** Why no persistent profile is used (opted out, locked by another CLI, not writable). */
  reason?: string;
  /** Chromium flags that select the profile (empty for a throw-away one). */
  args: string[];
  /** Frees the lock; call after Chromium has closed. */
  release(): void;
}

export function defaultProfileDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(cache, 'face-reshape', 'chromium-profile');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const throwAway = (reason: string): ChromiumProfile => ({ dir: null, reason, args: [], release() {} });

export function acquireProfile(options: { disabled?: boolean; env?: NodeJS.ProcessEnv } = {}): ChromiumProfile {
  const env = options.env ?? process.env;
  const setting = env.FACE_RESHAPE_PROFILE;
  if (options.disabled || setting === 'off' || setting === '0' || setting === 'false') return throwAway('opted out');
  const dir = resolve(setting && setting !== 'on' && setting !== '1' ? setting : defaultProfileDir(env));
  const lock = `${dir}.lock`;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    return throwAway(`cannot create ${dir}: ${(e as Error).message}`);
  }
  // Two tries: the second after removing a lock whose owner has exited (a killed CLI).
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return throwAway(`cannot lock ${dir}: ${(e as Error).message}`);
      let owner = NaN;
      try {
        owner = Number(readFileSync(lock, 'utf8').trim());
      } catch {
        /* removed meanwhile: try again */
      }
      // An empty lock file may be one being written right now: treat it as held.
      if (attempt === 0 && Number.isInteger(owner) && owner > 0 && !alive(owner)) {
        rmSync(lock, { force: true });
        continue;
      }
      return throwAway(`${dir} is in use by another face-reshape (pid ${Number.isNaN(owner) ? '?' : owner})`);
    }
    writeSync(fd, String(process.pid));
    closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      try {
        if (readFileSync(lock, 'utf8').trim() === String(process.pid)) rmSync(lock, { force: true });
      } catch {
        /* already gone */
      }
    };
    return { dir, args: [`--user-data-dir=${dir}`], release };
  }
  return throwAway(`${dir} is locked`);
}

/**
 * The big files a page of the persistent profile keeps in its origin's Cache Storage (the CLI's page
 * code, reshapeInPage): the wasm binary and the model, by their path under the runtime's origin.
 */
export const KEPT_ASSETS: ReadonlyArray<{ path: string }> = LIBRARY_FILES.map((path) => ({ path }));

/**
 * The kept files' version: a hash of their bytes, the very Buffers the runtime answers the page with
 * (Runtime.libraryBytes), so what is kept under a version is what was hashed. No date or size tells
 * two versions apart (npm gives every installed file the same mtime).
 */
export function keptAssetsVersion(files: ReadonlyArray<Buffer>): string {
  const hash = createHash('sha256');
  for (const bytes of files) hash.update(bytes);
  return hash.digest('hex').slice(0, 24);
}

/** A page of the profiled runtime: `assetVersion` names the kept files' version, null on a throw-away profile (nothing to keep them in). */
export type ProfiledPage = RuntimePage & { assetVersion: string | null };

/** The runtime on the CLI's persistent profile (or a throw-away one, see acquireProfile); closing it frees the profile. */
export type ProfiledRuntime = Omit<Runtime, 'newPage'> & { profile: ChromiumProfile; newPage(path?: string): Promise<ProfiledPage> };

export async function startProfiledRuntime(options: { disabled?: boolean } = {}): Promise<ProfiledRuntime> {
  const profile = acquireProfile(options);
  let rt: Runtime;
  try {
    // Pages load from the one intercepted origin (no port, issue 14), the same on every run.
    rt = await startRuntime({ assets: 'intercept', chromiumArgs: profile.args });
  } catch (e) {
    profile.release();
    throw e;
  }
  // A file that could not be read just goes uncached.
  const version = profile.dir
    ? rt
        .libraryBytes()
        .then((files) => (files ? keptAssetsVersion(KEPT_ASSETS.map((a) => files.get(a.path)!)) : null))
        .catch(() => null)
    : Promise.resolve(null);
  return {
    ...rt,
    profile,
    async newPage(path?: string) {
      const page = await rt.newPage(path);
      return { ...page, assetVersion: await version };
    },
    async close() {
      try {
        await rt.close();
      } finally {
        profile.release();
      }
    },
  };
}
