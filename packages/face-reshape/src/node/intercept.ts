import { readFile } from 'node:fs/promises';
import type { HTTPRequest } from 'puppeteer';
import type { AssetTable } from './assets.js';

/**
 * Answers the intercepted requests of a runtime page (runtime.ts, `assets: 'intercept'`): GETs of our
 * own origin from the asset table or from bodies offered to that page (a job's input image), and
 * nothing else: other hosts are refused without touching the network.
 *
 * Fetch.fulfillRequest takes its body as base64 (the protocol has no other way to hand Chromium
 * bytes). puppeteer's `respond()` encodes with `btoa` over a string, about 1.8 s for the 11 MB wasm
 * and 0.9 s for the model, on every page start; here Node's Buffer encodes (~60 ms). The library's two
 * big files are read and encoded once per runtime (LibraryFiles: a pool opens pages again; the CLI
 * reads them while Chromium starts); every other file is read and encoded when it is asked for.
 */

/** How intercepted answers went out: `slow` counts those that fell back to puppeteer's respond() (see fulfil). */
export const fulfilCounts = { fast: 0, slow: 0 };

interface Read {
  bytes: Buffer;
  base64: string;
  type: string;
}

/**
 * The library's big files (the wasm and the model), read once when a runtime starts and kept until
 * it closes, with their base64. Pages are answered with exactly these bytes, and the CLI's profile
 * names its kept copy by the hash of the same Buffers (profile.ts): a file replaced on disk meanwhile
 * changes neither, until the next runtime reads it again.
 */
export class LibraryFiles {
  private readonly files = new Map<string, Promise<Read | null>>();

  /** `paths`: URL paths of `assets`' files. A file that cannot be read is null here, and asked for like any other. */
  constructor(paths: readonly string[], assets: AssetTable) {
    for (const path of paths) {
      const asset = assets.lookup(path);
      const read =
        asset && 'file' in asset
          ? readFile(asset.file).then(
              (bytes) => ({ bytes, base64: bytes.toString('base64'), type: asset.type }),
              () => null,
            )
          : Promise.resolve(null);
      this.files.set(path, read);
    }
  }

  /** The file read for `path`: undefined for a path not kept, null for a file that could not be read. */
  get(path: string): Promise<Read | null> | undefined {
    return this.files.get(path);
  }

  /** Every kept file's bytes by path, or null when one could not be read. */
  async bytes(): Promise<Map<string, Buffer> | null> {
    const out = new Map<string, Buffer>();
    for (const [path, read] of [...this.files]) {
      const r = await read;
      if (!r) return null;
      out.set(path, r.bytes);
    }
    return out;
  }

  /** Lets the 16 MB (and their base64) go: the runtime closed. */
  clear(): void {
    this.files.clear();
  }
}

/** One-shot bodies offered to one page, by URL path: each is answered once, then forgotten. */
export class Offers {
  private readonly bodies = new Map<string, { body: Buffer; type: string }>();

  /** Makes `path` answer `body` once; the returned function withdraws it (a job that never fetched it). */
  offer(path: string, body: Buffer, type: string): () => void {
    this.bodies.set(path, { body, type });
    return () => void this.bodies.delete(path);
  }

  take(path: string): { body: Buffer; type: string } | undefined {
    const hit = this.bodies.get(path);
    this.bodies.delete(path);
    return hit;
  }
}

/**
 * Answers over the request's own DevTools session with a body already in base64. The Fetch request
 * id is puppeteer's `_interceptionId` (not public API): where a puppeteer version lacks it, the answer
 * goes through `respond()` instead, correct but slow, and `fulfilCounts.slow` says so.
 */
async function fulfil(req: HTTPRequest, status: number, type: string, base64: string, byteLength: number): Promise<void> {
  const headers = { 'content-type': type, 'content-length': String(byteLength), 'cache-control': 'no-store' };
  const requestId = (req as unknown as { _interceptionId?: unknown })._interceptionId;
  if (typeof requestId !== 'string') {
    fulfilCounts.slow++;
    return req.respond({ status, headers, body: Buffer.from(base64, 'base64') });
  }
  fulfilCounts.fast++;
  await req.client.send('Fetch.fulfillRequest', {
    requestId,
    responseCode: status,
    responseHeaders: Object.entries(headers).map(([name, value]) => ({ name, value })),
    body: base64,
  });
}

/** Answers one intercepted request: own-origin GETs from the offers, then the library's kept files, then the asset table; 404 otherwise; other origins refused. */
export async function answer(req: HTTPRequest, own: boolean, assets: AssetTable, offers: Offers, library: LibraryFiles): Promise<void> {
  if (!own) return req.abort('blockedbyclient');
  const path = new URL(req.url()).pathname;
  if (req.method() === 'GET') {
    const offered = offers.take(path);
    if (offered) return fulfil(req, 200, offered.type, offered.body.toString('base64'), offered.body.length);
    const kept = await library.get(path);
    if (kept) return fulfil(req, 200, kept.type, kept.base64, kept.bytes.length);
    const asset = assets.lookup(path);
    if (asset && 'document' in asset) {
      const body = Buffer.from(asset.document);
      return fulfil(req, 200, asset.type, body.toString('base64'), body.length);
    }
    if (asset) {
      const body = await readFile(asset.file);
      return fulfil(req, 200, asset.type, body.toString('base64'), body.length);
    }
  }
  const body = Buffer.from('not found');
  return fulfil(req, 404, 'text/plain', body.toString('base64'), body.length);
}
