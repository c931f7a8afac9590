import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type Runtime, type RuntimePage } from '../../packages/face-reshape/src/node/runtime';
import { ROOT, testMounts } from '../support/env';

/**
 * The demo app (demo/), built with `vite build demo` and served by the project's static server,
 * driven like a user would: open a photo, move sliders, compare, overlay, download.
 * Screenshots go to test/artifacts/; with UPDATE_DOCS=1 the astronaut one also replaces docs/demo.png
 * (a plain test run leaves the tracked tree untouched).
 */
const ARTIFACTS = resolve(ROOT, 'test', 'artifacts');
const ASTRONAUT = resolve(ROOT, 'test', 'fixtures', 'astronaut.png');

export function buildDemo(): void {
  execFileSync(process.execPath, [resolve(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'demo', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
}

describe('demo app', () => {
  let rt: Runtime;
  let rp: RuntimePage;
  const downloads = mkdtempSync(join(tmpdir(), 'face-reshape-dl-'));

  beforeAll(async () => {
    buildDemo();
    mkdirSync(ARTIFACTS, { recursive: true });
    rt = await startRuntime({ mounts: { ...testMounts(), '/demo/': resolve(ROOT, 'demo', 'dist') } });
    rp = await rt.newPage('/demo/index.html');
    await rp.page.setViewport({ width: 1280, height: 860 });
    await rp.page.waitForFunction('window.demo && (window.demo.ready || window.demo.lastError)', { timeout: 60_000 });
  });
  afterAll(async () => {
    if (rp) expect(rp.foreignRequests, 'the demo requested a host other than 127.0.0.1').toEqual([]);
    await rt?.close();
    rmSync(downloads, { recursive: true, force: true });
  });

  const pixels = () =>
    rp.page.evaluate(() => {
      const c = document.getElementById('result') as HTMLCanvasElement;
      return { w: c.width, h: c.height, data: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) };
    });

  it('opens a photo, reshapes it with sliders only where the face is, compares, overlays and downloads', async () => {
    const { page } = rp;
    expect(await page.evaluate('window.demo.lastError')).toBe('');
    // Every slider has a label, grouped in four fieldsets.
    const a11y = await page.evaluate(() => ({
      sliders: document.querySelectorAll('#sliders input[type=range]').length,
      labelled: [...document.querySelectorAll<HTMLInputElement>('#sliders input[type=range]')].every((i) => i.labels && i.labels.length === 1 && i.labels[0].textContent!.trim() !== ''),
      groups: [...document.querySelectorAll('#sliders legend')].map((l) => l.textContent),
    }));
    expect(a11y).toEqual({ sliders: 22, labelled: true, groups: ['Face', 'Eyes', 'Nose', 'Mouth'] });

    const input = await page.$('#file');
    await (input as any).uploadFile(ASTRONAUT);
    await page.waitForFunction('window.demo.renders >= 1', { timeout: 60_000 });
    const before = await pixels();
    const boxes = (await page.evaluate('window.demo.boxes')) as number[][];
    expect(boxes).toHaveLength(1);

    // Move two sliders like a user: focus and arrow keys (step 0.05).
    const renders = (await page.evaluate('window.demo.renders')) as number;
    await page.focus('#s-big_eyes');
    for (let i = 0; i < 16; i++) await page.keyboard.press('ArrowRight');
    await page.focus('#s-slim_face');
    for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowRight');
    await page.waitForFunction(`window.demo.renders > ${renders} && document.querySelector('#s-slim_face').nextElementSibling.textContent === '1.00'`, { timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    await page.waitForFunction(`!document.querySelector('#status.error')`);
    const after = await pixels();
    const [x0, y0, x1, y1] = boxes[0];
    const fw = x1 - x0;
    let sIn = 0, nIn = 0, maxOut = 0;
    for (let y = 0; y < after.h; y++) {
      for (let x = 0; x < after.w; x++) {
        const k = (y * after.w + x) * 4;
        const d = Math.max(Math.abs(after.data[k] - before.data[k]), Math.abs(after.data[k + 1] - before.data[k + 1]), Math.abs(after.data[k + 2] - before.data[k + 2]));
        if (x >= x0 && x < x1 && y >= y0 && y < y1) {
          sIn += d;
          nIn++;
        } else if (Math.hypot(Math.max(x0 - x, 0, x - x1), Math.max(y0 - y, 0, y - y1)) > 0.6 * fw) maxOut = Math.max(maxOut, d);
      }
    }
    console.log(`demo: mean change ${(sIn / nIn).toFixed(2)} in the face box, max ${maxOut} far from it (backend ${await page.evaluate('window.demo.backend')})`);
    expect(sIn / nIn).toBeGreaterThan(2);
    expect(maxOut).toBeLessThanOrEqual(1);
    await page.screenshot({ path: resolve(ARTIFACTS, 'demo-astronaut.png') });
    if (process.env.UPDATE_DOCS === '1') {
      mkdirSync(resolve(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: resolve(ROOT, 'docs', 'demo.png') });
    }

    // Hold to compare shows the original while pressed; split view shows it clipped.
    const hold = await page.$('#hold');
    const box = (await hold!.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    expect(await page.$eval('#original', (c) => (c as HTMLCanvasElement).hidden)).toBe(false);
    await page.screenshot({ path: resolve(ARTIFACTS, 'demo-hold-compare.png') });
    await page.mouse.up();
    expect(await page.$eval('#original', (c) => (c as HTMLCanvasElement).hidden)).toBe(true);
    await page.click('#split');
    expect(await page.$eval('#original', (c) => [(c as HTMLCanvasElement).hidden, (c as HTMLCanvasElement).style.clipPath])).toEqual([false, 'inset(0px 50% 0px 0px)']);
    await page.screenshot({ path: resolve(ARTIFACTS, 'demo-split.png') });
    await page.click('#split');

    // Landmarks overlay.
    await page.click('#landmarks');
    const drawn = await page.$eval('#overlay', (c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
      return n;
    });
    expect(drawn).toBeGreaterThan(400);
    await page.screenshot({ path: resolve(ARTIFACTS, 'demo-landmarks.png') });
    await page.click('#landmarks');

    // Download: the PNG saved is the canvas, pixel for pixel.
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.click('#download');
    const file = join(downloads, 'reshaped.png');
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(downloads)).toContain('reshaped.png');
    const png = PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([after.w, after.h]);
    let diff = 0;
    for (let i = 0; i < png.data.length; i++) diff = Math.max(diff, Math.abs(png.data[i] - after.data[i]));
    expect(diff).toBe(0);

    // Presets set the sliders; Reset brings the original back exactly.
    const r2 = (await page.evaluate('window.demo.renders')) as number;
    await page.click('[data-preset="reset"]');
    await page.waitForFunction(`window.demo.renders > ${r2}`);
    await new Promise((r) => setTimeout(r, 300));
    const reset = await pixels();
    expect(reset.data).toEqual(before.data);
  });

  it('says clearly when the camera is unavailable', async () => {
    const { page } = rp;
    await page.click('#camera');
    await page.waitForFunction(`/camera is unavailable|No camera access/i.test(document.getElementById('status').textContent)`, { timeout: 20_000 });
    const text = await page.$eval('#status', (e) => e.textContent);
    console.log(`demo without a camera: "${text}"`);
  });
});
