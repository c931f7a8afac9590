import { afterAll, beforeAll, expect } from 'vitest';
import { startRuntime, type Runtime, type RuntimePage } from '../../packages/face-reshape/src/node/runtime';
import { TESTBED, testMounts } from './env';

/**
 * One headless Chromium (WebGPU on SwiftShader) and local server per test file.
 * `usePage()` returns a getter for a harness page with `window.lib`, `window.compat` and `window.internals` (the test bed build) loaded;
 * after the file's tests it asserts the page asked nothing of any host but 127.0.0.1.
 */
export function useBrowser(opts: { chromiumArgs?: string[] } = {}): () => Runtime {
  let rt: Runtime | null = null;
  beforeAll(async () => {
    rt = await startRuntime({ mounts: testMounts(), chromiumArgs: opts.chromiumArgs, libraryDir: TESTBED });
  });
  afterAll(async () => {
    await rt?.close();
  });
  return () => {
    if (!rt) throw new Error('browser runtime not started');
    return rt;
  };
}

export function usePage(opts: { chromiumArgs?: string[] } = {}): () => RuntimePage {
  const runtime = useBrowser(opts);
  let rp: RuntimePage | null = null;
  beforeAll(async () => {
    rp = await runtime().newPage();
  });
  afterAll(() => {
    if (rp) expect(rp.foreignRequests, 'the page requested a host other than 127.0.0.1').toEqual([]);
  });
  return () => {
    if (!rp) throw new Error('page not open');
    return rp;
  };
}
