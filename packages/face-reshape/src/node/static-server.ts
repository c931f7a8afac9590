import { createServer, type Server } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';

/**
 * A tiny static file server on 127.0.0.1 for the headless-Chromium runtime (CLI, tests, bench).
 * Pages must come from http://127.0.0.1: it is a secure context (WebGPU, wasm) and no other
 * origin is ever involved. Only GET/HEAD of files under the mounted folders are answered.
 */
const TYPES: Record<string, string> = {
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

export interface StaticServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:43123 */
  url: string;
  close(): Promise<void>;
}

export interface StaticServerOptions {
  /** URL prefix (e.g. '/dist/') → folder on disk. Longest prefix wins. */
  mounts: Record<string, string>;
  /** In-memory documents by exact path, e.g. { '/harness.html': '<!doctype html>…' }. */
  documents?: Record<string, string>;
  port?: number;
  /** [batch] Let the browser cache files (ETag, revalidated each load) so a persistent profile's HTTP cache, and the code caches keyed on it, are reused. */
  cacheable?: boolean;
}

export function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const mounts = Object.entries(options.mounts)
    .map(([prefix, dir]) => [prefix, resolve(dir)] as const)
    .sort((a, b) => b[0].length - a[0].length);
  const documents = options.documents ?? {};

  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const doc = documents[path];
    if (doc !== undefined) {
      res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : doc);
      return;
    }
    const file = resolveFile(mounts, path);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const st = statSync(file);
    const etag = `"${st.size}-${Math.round(st.mtimeMs)}"`; // [batch] a rebuilt file gets a new tag
    if (options.cacheable && req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag, 'cache-control': 'no-cache' }).end(); // [batch]
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': st.size,
      'cache-control': options.cacheable ? 'no-cache' : 'no-store', // [batch]
      ...(options.cacheable ? { etag } : {}), // [batch]
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });

  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolvePromise({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Maps a URL path to a file inside a mount; never escapes the mounted folder. */
function resolveFile(mounts: ReadonlyArray<readonly [string, string]>, path: string): string | null {
  for (const [prefix, dir] of mounts) {
    if (!path.startsWith(prefix)) continue;
    const rel = normalize(path.slice(prefix.length));
    const file = join(dir, rel);
    if (file !== dir && !file.startsWith(dir + sep)) return null;
    try {
      if (statSync(file).isFile()) return file;
    } catch {
      /* fall through to 404 */
    }
    return null;
  }
  return null;
}
