import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type Runtime, type RuntimePage } from '../../packages/face-reshape/src/node/runtime';
import { ROOT, testMounts } from '../support/env';

/**
 * The demo as an offline PWA: one online visit installs the service worker, which precaches the
 * app, the wasm and the model; then the network goes away (DevTools offline mode AND the server
 * shut down) and the reloaded demo still reshapes a photo.
 */
describe('demo PWA works offline after one visit', () => {
  let rt: Runtime;
  let rp: RuntimePage;

  beforeAll(async () => {
    execFileSync(process.execPath, [resolve(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'demo', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
    rt = await startRuntime({ mounts: { ...testMounts(), '/demo/': resolve(ROOT, 'demo', 'dist') } });
    rp = await rt.newPage('/demo/index.html');
  });
  afterAll(async () => {
    if (rp) expect(rp.foreignRequests, 'the demo requested a host other than 127.0.0.1').toEqual([]);
    await rt?.close();
  });

  it('installs, goes offline, reloads and reshapes a photo', async () => {
    const { page } = rp;
    await page.waitForFunction('window.demo && window.demo.ready', { timeout: 60_000 });
    // Installed and controlling the page (skipWaiting + clients.claim), precache complete.
    await page.waitForFunction('navigator.serviceWorker.controller !== null', { timeout: 60_000 });
    const cached = await page.evaluate(async () => {
      const keys = await caches.keys();
      const cache = await caches.open(keys.find((k) => k.startsWith('face-reshape-demo-'))!);
      return (await cache.keys()).map((r) => new URL(r.url).pathname).sort();
    });
    expect(cached).toEqual(expect.arrayContaining(['/demo/index.html', '/demo/manifest.webmanifest']));
    // The model and the wasm, as Vite emitted them for the library (hashed names under assets/).
    for (const file of [/^\/demo\/assets\/face_landmarker-.+\.task$/, /^\/demo\/assets\/vision_wasm_internal-.+\.wasm$/, /^\/demo\/assets\/vision_wasm_internal-.+\.js$/]) {
      expect(cached.filter((p) => file.test(p)), `one cached file matches ${file}`).toHaveLength(1);
    }

    // The manifest is valid and linked.
    const manifest = await page.evaluate(async () => (await fetch(document.querySelector<HTMLLinkElement>('link[rel=manifest]')!.href)).json());
    expect(manifest).toMatchObject({ name: expect.any(String), start_url: './', display: 'standalone' });
    expect(manifest.icons.length).toBeGreaterThan(0);

    // Network gone: DevTools offline, and the server itself closed.
    await page.setOfflineMode(true);
    await rt.server!.close();
    const probe = await page.evaluate(async () => {
      try {
        await fetch('/not-cached-' + Math.random(), { cache: 'no-store' });
        return 'reachable';
      } catch {
        return 'offline';
      }
    });
    expect(probe).toBe('offline');

    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction('window.demo && (window.demo.ready || window.demo.lastError)', { timeout: 60_000 });
    expect(await page.evaluate('window.demo.lastError')).toBe('');
    const input = await page.$('#file');
    await (input as any).uploadFile(resolve(ROOT, 'test', 'fixtures', 'astronaut.png'));
    await page.waitForFunction('window.demo.renders >= 1', { timeout: 60_000 });
    const before = await page.$eval('#result', (c) => Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 512, 512).data));
    const renders = (await page.evaluate('window.demo.renders')) as number;
    await page.click('[data-preset="doll"]');
    await page.waitForFunction(`window.demo.renders > ${renders}`, { timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    const after = await page.$eval('#result', (c) => Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 512, 512).data));
    let changed = 0;
    for (let i = 0; i < after.length; i += 4) if (Math.abs(after[i] - before[i]) > 2) changed++;
    console.log(`offline: ${(await page.evaluate('window.demo.boxes.length')) as number} face, ${changed} pixels changed by the Doll preset`);
    expect((await page.evaluate('window.demo.boxes')) as unknown[]).toHaveLength(1);
    expect(changed).toBeGreaterThan(1000);
    await page.screenshot({ path: resolve(ROOT, 'test', 'artifacts', 'demo-offline.png') });
  });
});
