import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import { AssetTable, type AssetTableOptions } from './assets.js';

/**
 * A tiny static file server on 127.0.0.1, for runtimes that need a real origin (tests whose pages
 * register service workers, the bench, the package tests). `face-reshape` itself never opens it:
 * its pages get their files through CDP interception (runtime.ts). Pages must come from
 * http://127.0.0.1: it is a secure context (WebGPU, wasm). Only GET/HEAD of known files are answered.
 */
export interface StaticServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:43123 */
  url: string;
  close(): Promise<void>;
}

export interface StaticServerOptions extends AssetTableOptions {
  port?: number;
}

export function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const assets = new AssetTable(options);

  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    } catch {
      res.writeHead(400).end();
      return;
    }
    const asset = assets.lookup(pathname);
    if (!asset) {
      res.writeHead(404).end();
      return;
    }
    if ('document' in asset) {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : asset.document);
      return;
    }
    res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.size, 'cache-control': 'no-store' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(asset.file).on('error', () => res.destroy()).pipe(res);
  });
  // A malformed request must never take the process down.
  server.on('clientError', (_err, socket) => socket.destroy());

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
