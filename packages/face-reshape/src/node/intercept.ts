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
 * and 0.9 s for the model, on every page start; here Node's Buffer encodes (~60 ms), and each file's
 * encoding is kept for the process (a pool opens pages again; the CLI encodes while Chromium starts).
 */

/** How intercepted answers went out: `slow` counts those that fell back to puppeteer's respond() (see fulfil). */
export const fulfilCounts = { fast: 0, slow: 0 };

interface Body {
  base64: string;
  /** Bytes, as read (the file may have changed since it was looked up). */
  length: number;
}

interface Encoded {
  mtimeMs: number;
  size: number;
  body: Promise<Body>;
}

/** Files by path, base64-encoded once (re-read when the file changed on disk). */
const encoded = new Map<string, Encoded>();

async function encodeFile(file: string): Promise<Body> {
  const bytes = await readFile(file);
  return { base64: bytes.toString('base64'), length: bytes.length };
}

/** The base64 body of a file asset, from the process-wide cache. */
export function fileBase64(asset: { file: string; size: number; mtimeMs: number }): Promise<Body> {
  const hit = encoded.get(asset.file);
  if (hit && hit.mtimeMs === asset.mtimeMs && hit.size === asset.size) return hit.body;
  const body = encodeFile(asset.file);
  encoded.set(asset.file, { mtimeMs: asset.mtimeMs, size: asset.size, body });
  body.catch(() => encoded.delete(asset.file));
  return body;
}

/** Starts encoding these paths' files now (e.g. the wasm and the model while Chromium launches). */
export function preEncode(assets: AssetTable, paths: string[]): void {
  for (const path of paths) {
    const asset = assets.lookup(path);
    if (asset && 'file' in asset) fileBase64(asset).catch(() => {});
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

/** Answers one intercepted request: own-origin GETs from the offers, then the asset table; 404 otherwise; other origins refused. */
export async function answer(req: HTTPRequest, own: boolean, assets: AssetTable, offers: Offers): Promise<void> {
  if (!own) return req.abort('blockedbyclient');
  const path = new URL(req.url()).pathname;
  if (req.method() === 'GET') {
    const offered = offers.take(path);
    if (offered) return fulfil(req, 200, offered.type, offered.body.toString('base64'), offered.body.length);
    const asset = assets.lookup(path);
    if (asset && 'document' in asset) {
      const body = Buffer.from(asset.document);
      return fulfil(req, 200, asset.type, body.toString('base64'), body.length);
    }
    if (asset) {
      const body = await fileBase64(asset);
      return fulfil(req, 200, asset.type, body.base64, body.length);
    }
  }
  const body = Buffer.from('not found');
  return fulfil(req, 404, 'text/plain', body.toString('base64'), body.length);
}
