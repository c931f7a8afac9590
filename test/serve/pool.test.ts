import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PagePool } from '../../packages/face-reshape/src/serve/pool';

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
