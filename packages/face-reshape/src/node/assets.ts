import { statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';

/**
 * The files a runtime page may load: in-memory documents by exact path, and files under mounted
 * folders (URL prefix → folder). Shared by the two ways pages get them: CDP request interception
 * (no port at all; the CLI and the server) and the 127.0.0.1 static server (tests, bench).
 */
export const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.task': 'application/octet-stream',
  '.tflite': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.bmp': 'image/bmp',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.css': 'text/css; charset=utf-8',
  '.wgsl': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.y4m': 'application/octet-stream',
};

export interface AssetTableOptions {
  /** URL prefix (e.g. '/dist/') → folder on disk. Longest prefix wins. */
  mounts: Record<string, string>;
  /** In-memory documents by exact path, e.g. { '/harness.html': '<!doctype html>…' }. */
  documents?: Record<string, string>;
}

export type Asset = { type: string; document: string } | { type: string; file: string; size: number };

export class AssetTable {
  private readonly mounts: ReadonlyArray<readonly [string, string]>;
  private readonly documents: Record<string, string>;

  constructor(options: AssetTableOptions) {
    this.mounts = Object.entries(options.mounts)
      .map(([prefix, dir]) => [prefix, resolve(dir)] as const)
      .sort((a, b) => b[0].length - a[0].length);
    this.documents = options.documents ?? {};
  }

  /** The asset at a URL path (still %-encoded, as it arrives), or null: malformed escapes and paths outside every mount are simply not found. */
  lookup(rawPath: string): Asset | null {
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return null; // a bad %-escape names no file
    }
    if (path.includes('\0')) return null;
    const doc = this.documents[path];
    if (doc !== undefined) return { type: TYPES['.html'], document: doc };
    for (const [prefix, dir] of this.mounts) {
      if (!path.startsWith(prefix)) continue;
      const file = join(dir, normalize(path.slice(prefix.length)));
      if (file !== dir && !file.startsWith(dir + sep)) return null;
      try {
        const st = statSync(file);
        if (st.isFile()) return { type: TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', file, size: st.size };
      } catch {
        /* not found */
      }
      return null;
    }
    return null;
  }
}
