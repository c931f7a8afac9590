import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fulfilCounts } from '../../packages/face-reshape/src/node/intercept';
import { INTERCEPT_ORIGIN, LIBRARY_ROOT } from '../../packages/face-reshape/src/node/runtime';
import { PagePool } from '../../packages/face-reshape/src/serve/pool';
import { ROOT } from '../support/env';

/**
 * Every slot of the server's page pool runs in a visible, focused page: Chromium slows hidden
 * (background-tab) pages about tenfold (OffscreenCanvas.convertToBlob took 1 s instead of 6 ms),
 * and serial traffic would keep hitting the one slot that happens to be hidden.
 */
let pool: PagePool;
beforeAll(async () => {
  pool = await PagePool.start({ size: 3 });
});
afterAll(async () => {
  await pool?.close();
});

describe('page pool', () => {
  it('every slot is visible (document.visibilityState) and not treated as a background page', async () => {
    const states = await Promise.all(pool.pages.map((p) => p!.evaluate(() => ({ visibility: document.visibilityState, hidden: document.hidden, secure: isSecureContext }))));
    console.log(`pool slots: ${JSON.stringify(states)}`);
    expect(states).toHaveLength(3);
    for (const s of states) expect(s).toEqual({ visibility: 'visible', hidden: false, secure: true });
  });
});

describe('bytes between Node and the pool pages', () => {
  it('a job\'s image reaches its page as an intercepted response, once, and the result comes back whole (no base64 in JavaScript either way)', async () => {
    const image = readFileSync(resolve(ROOT, 'test/fixtures/astronaut.png'));
    const jobUrls: string[] = [];
    for (const p of pool.pages) p!.on('request', (req) => void (new URL(req.url()).pathname.startsWith('/jobs/') && jobUrls.push(req.url())));
    const slowBefore = fulfilCounts.slow;
    const res = await pool.submit({ image, shape_type: '2', strength: '0.5', edits: [] });
    expect(res.envelope.error_code, JSON.stringify(res.envelope)).toBe(0);
    // The result is the page's encoded Blob, read over CDP: a whole PNG of the input's size.
    const png = PNG.sync.read(res.output!);
    expect([png.width, png.height]).toEqual([res.width, res.height]);
    expect(res.type).toBe('image/png');
    // One fetch of a per-job URL of the pool's own origin; the offer is gone once answered.
    expect(jobUrls).toHaveLength(1);
    expect(new URL(jobUrls[0]).origin).toBe(INTERCEPT_ORIGIN);
    const again = await Promise.all(pool.pages.map((p) => p!.evaluate(async (u) => (await fetch(u)).status, jobUrls[0])));
    expect(again).toEqual(pool.pages.map(() => 404));
    // Every intercepted answer went out encoded by Node, not by puppeteer's slow respond().
    expect(fulfilCounts.fast).toBeGreaterThan(0);
    expect(fulfilCounts.slow - slowBefore).toBe(0);
  });

  it("a job's offer is withdrawn when the job fails before fetching it, and no page can fetch another page's live offer", async () => {
    const image = readFileSync(resolve(ROOT, 'test/fixtures/astronaut.png'));
    const pages = pool.pages.map((p) => p!);
    // Each page's fetch of a job URL notes the URL, then fails ('fail': the request never leaves the
    // page, so Node never takes the offer) or waits for the test ('hold': the offer stays live).
    const gate = (mode: 'fail' | 'hold') =>
      Promise.all(
        pages.map((p) =>
          p.evaluate((m) => {
            const w = window as unknown as { __realFetch?: typeof fetch; __seen?: string | null; __release?: () => void };
            w.__realFetch ??= window.fetch;
            w.__seen = null;
            window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
              const url = new URL(input instanceof Request ? input.url : String(input), location.href);
              if (!url.pathname.startsWith('/jobs/')) return w.__realFetch!(input, init);
              w.__seen = url.href;
              if (m === 'fail') return Promise.reject(new TypeError('refused by the test'));
              return new Promise((r) => (w.__release = () => r(w.__realFetch!(input, init))));
            };
          }, mode),
        ),
      );
    const ungate = () => Promise.all(pages.map((p) => p.evaluate(() => void ((window as any).__realFetch && (window.fetch = (window as any).__realFetch)))));
    const seen = () => Promise.all(pages.map((p) => p.evaluate(() => (window as any).__seen as string | null)));
    /** Status of a real fetch of `url` from page `i`. */
    const statusFrom = (i: number, url: string) => pages[i].evaluate(async (u) => (await (window as any).__realFetch(u)).status as number, url);
    try {
      await gate('fail');
      const failed = await pool.submit({ image, shape_type: '2', strength: '0.5', edits: [] });
      expect(failed.envelope.error_code).not.toBe(0);
      const urls = await seen();
      const owner = urls.findIndex((u) => u);
      expect(owner).toBeGreaterThanOrEqual(0);
      // Never fetched, yet gone: the job withdrew its offer.
      expect(await statusFrom(owner, urls[owner]!)).toBe(404);

      await gate('hold');
      const job = pool.submit({ image, shape_type: '2', strength: '0.5', edits: [] });
      let live: Array<string | null> = [];
      while (!live.some((u) => u)) {
        await new Promise((r) => setTimeout(r, 50));
        live = await seen();
      }
      const holder = live.findIndex((u) => u);
      // The other pages ask for the live offer: 404, and it stays the job's.
      for (let i = 0; i < pages.length; i++) if (i !== holder) expect(await statusFrom(i, live[holder]!)).toBe(404);
      await pages[holder].evaluate(() => (window as any).__release());
      const done = await job;
      expect(done.envelope.error_code, JSON.stringify(done.envelope)).toBe(0);
      expect(pool.restarts.page).toBe(0);
    } finally {
      await ungate();
    }
  });

  it('pages get the library files byte for byte (the 11 MB wasm and the model through interception)', async () => {
    const digest = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    const got = await pool.pages[0]!.evaluate(async (paths: string[]) => {
      const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
      return Promise.all(paths.map(async (p) => hex(await crypto.subtle.digest('SHA-256', await (await fetch(p)).arrayBuffer()))));
    }, ['/dist/wasm/vision_wasm_internal.wasm', '/models/face_landmarker.task']);
    expect(got).toEqual([digest(resolve(LIBRARY_ROOT, 'dist/wasm/vision_wasm_internal.wasm')), digest(resolve(LIBRARY_ROOT, 'models/face_landmarker.task'))]);
  });
});
