import type { CDPSession, Page } from 'puppeteer';

/**
 * Reads a Blob a page left on a window property into a Buffer, through CDP's IO domain: Chromium
 * encodes it natively, where returning it from page.evaluate needs a base64 string built in
 * JavaScript. The property is cleared afterwards. Bytes going the other way travel as an
 * intercepted response (RuntimePage.offer in runtime.ts).
 *
 * `via` is a DevTools session of the page that is reused across reads (the pool keeps one per page);
 * without it a session is opened for this read and closed after it.
 */
export async function readPageBlob(page: Page, property: string, via?: CDPSession): Promise<Buffer> {
  // Object ids belong to the session that made them: look the Blob up in the session that reads it.
  const cdp = via ?? (await page.createCDPSession());
  const expression = `window[${JSON.stringify(property)}]`;
  let objectId: string | undefined;
  let stream: string | undefined;
  try {
    const { result } = await cdp.send('Runtime.evaluate', { expression });
    objectId = result.objectId;
    if (!objectId) throw new Error('the page kept no output');
    const { uuid } = await cdp.send('IO.resolveBlob', { objectId });
    stream = `blob:${uuid}`;
    const parts: Buffer[] = [];
    for (;;) {
      const chunk = await cdp.send('IO.read', { handle: stream, size: 1 << 22 });
      parts.push(Buffer.from(chunk.data, chunk.base64Encoded ? 'base64' : 'utf8'));
      if (chunk.eof) break;
    }
    return Buffer.concat(parts);
  } finally {
    // Closed on failure too: an open stream holds its Blob for as long as the page lives (a pool page lives long).
    if (stream) await cdp.send('IO.close', { handle: stream }).catch(() => {});
    if (objectId) await cdp.send('Runtime.releaseObject', { objectId }).catch(() => {});
    await cdp.send('Runtime.evaluate', { expression: `${expression} = undefined` }).catch(() => {});
    if (!via) await cdp.detach().catch(() => {});
  }
}
