import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../packages/face-reshape/src/node/chromium';
import { startStaticServer } from '../../packages/face-reshape/src/node/static-server';
import { ROOT } from '../support/env';
import { freePort, makeApp, packLibrary, rootVersion, run, startCommand, type Packed } from './support';

/**
 * The library as users get it: `npm pack`, the tarball installed into small consumer apps outside
 * the repository (test/embed/), each calling `FaceReshaper.create()` with NO options and no
 * bundler configuration or copy step, opened in headless Chromium to reshape a photo.
 */
const PHOTO = readFileSync(resolve(ROOT, 'test', 'fixtures', 'grace_hopper.jpg'));
const MB = 1024 * 1024;

interface AppResult {
  faces: number;
  width: number;
  height: number;
  changedInFace: number;
  changedElsewhere: number;
  createMs: number;
  firstReshapeMs: number;
  backend: string;
}

describe('the packed library in consumer apps', () => {
  let dir: string;
  let packed: Packed;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'face-reshape-embed-'));
    packed = await packLibrary(join(dir, 'pack'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the app at `url`, runs the shared app script on the photo, checks what every app must do. */
  async function reshapeIn(url: string, app: string): Promise<{ result: AppResult; page: Page }> {
    const page = await browser.newPage();
    const origin = new URL(url).origin;
    const foreign: string[] = [];
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin) foreign.push(u);
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction('window.appReady === true', { timeout: 120_000 }).catch(() => {
      throw new Error(`the app did not load: ${errors.join('; ')}`);
    });
    const result = (await page.evaluate((b64: string) => (window as any).app.run(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))), PHOTO.toString('base64'))) as AppResult;
    console.log(
      `${url}: ${result.faces} face, ${result.changedInFace} pixels changed in the face box, ${result.changedElsewhere} elsewhere; ` +
        `create ${Math.round(result.createMs)} ms + first reshape ${Math.round(result.firstReshapeMs)} ms (${result.backend})`,
    );
    expect(result.faces, 'one face found in grace_hopper.jpg').toBe(1);
    expect(result.changedInFace, 'slim_face at 1 moves the face').toBeGreaterThan(2000);
    expect(result.changedInFace).toBeGreaterThan(result.changedElsewhere);
    expect(foreign, 'every request goes to the page’s own origin').toEqual([]);
    expect(existsSync(join(app, 'node_modules', 'fastify')), 'a browser app gets no server dependencies').toBe(false);
    expect(existsSync(join(app, 'node_modules', 'puppeteer'))).toBe(false);
    return { result, page };
  }

  it('the tarball holds only what runs: the JS, its types, the SIMD wasm and the model (goal ≤ 8 MB packed)', () => {
    console.log(`npm pack: ${(packed.size / MB).toFixed(2)} MB packed, ${(packed.unpackedSize / MB).toFixed(2)} MB unpacked, ${packed.files.length} files`);
    const runtime = [/^dist\/[^/]+\.js$/, /^dist\/.+\.d\.ts$/, /^dist\/wasm\/vision_wasm_internal\.(js|wasm)$/, /^models\/face_landmarker\.task$/, /^(package\.json|README\.md|NOTICE)$/];
    expect(packed.files.filter((f) => !runtime.some((r) => r.test(f)))).toEqual([]);
    for (const f of ['dist/index.js', 'dist/compat.js', 'dist/index.d.ts', 'dist/compat/index.d.ts', 'dist/wasm/vision_wasm_internal.js', 'dist/wasm/vision_wasm_internal.wasm', 'models/face_landmarker.task']) {
      expect(packed.files).toContain(f);
    }
    expect(packed.files.some((f) => /internals|\.map$|nosimd|^src\//.test(f))).toBe(false);
    expect(packed.size).toBeLessThanOrEqual(8 * MB);
  });

  it('a Vite app: `vite build` served by `vite preview` (an SPA fallback answers unknown paths) and the `vite` dev server', async () => {
    const app = await makeApp(dir, 'vite', packed.tarball, { vite: rootVersion('vite') }, 'src/main.js');
    const vite = join(app, 'node_modules', 'vite', 'bin', 'vite.js');
    await run(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: app });

    // What the browser downloads, file by file, raw and gzip.
    const assets = join(app, 'dist', 'assets');
    const rows = readdirSync(assets).map((f) => {
      const bytes = readFileSync(join(assets, f));
      return { f, raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
    });
    for (const r of rows) console.log(`vite build: ${r.f.padEnd(44)} ${(r.raw / 1024).toFixed(0).padStart(7)} KiB raw ${(r.gz / 1024).toFixed(0).padStart(6)} KiB gzip`);
    const total = rows.reduce((a, r) => ({ raw: a.raw + r.raw, gz: a.gz + r.gz }), { raw: 0, gz: 0 });
    console.log(`vite build: everything the browser downloads ${(total.raw / MB).toFixed(2)} MB raw, ${(total.gz / MB).toFixed(2)} MB gzip`);
    expect(rows.filter((r) => /\.task$/.test(r.f)), 'Vite emitted the model').toHaveLength(1);
    expect(rows.filter((r) => /^vision_wasm_internal-.+\.(js|wasm)$/.test(r.f)), 'Vite emitted the wasm loader and binary').toHaveLength(2);

    const previewPort = await freePort();
    const preview = await startCommand(process.execPath, [vite, 'preview', '--port', String(previewPort), '--strictPort', '--host', '127.0.0.1'], app, /Local:/);
    try {
      const { page } = await reshapeIn(`http://127.0.0.1:${previewPort}/`, app);
      // Wrong asset URLs explain themselves: the SPA fallback's page for the model, a 404 for the wasm.
      const html = await page.evaluate(() => (window as any).app.tryCreate({ modelAssetPath: '/no/such/face_landmarker.task' }));
      console.log(`model URL answered by the SPA fallback: ${html.code}: ${html.message}`);
      expect(html.code).toBe('MODEL_LOAD_FAILED');
      expect(html.message).toMatch(/HTTP 200 with text\/html/);
      expect(html.message).toMatch(/modelAssetPath/);
    } finally {
      preview.stop();
    }

    const devPort = await freePort();
    const dev = await startCommand(process.execPath, [vite, '--port', String(devPort), '--strictPort', '--host', '127.0.0.1'], app, /Local:/);
    try {
      await reshapeIn(`http://127.0.0.1:${devPort}/`, app);
    } finally {
      dev.stop();
    }
  });

  it('a webpack 5 production build (zero configuration)', async () => {
    const app = await makeApp(dir, 'webpack', packed.tarball, { webpack: rootVersion('webpack'), 'webpack-cli': rootVersion('webpack-cli') }, 'src/index.js');
    await run(process.execPath, [join(app, 'node_modules', 'webpack-cli', 'bin', 'cli.js'), '--mode', 'production'], { cwd: app, maxBuffer: 64 << 20 });
    const emitted = readdirSync(join(app, 'dist'));
    console.log(`webpack: ${emitted.map((f) => `${f} ${(statSync(join(app, 'dist', f)).size / 1024).toFixed(0)} KiB`).join(', ')}`);
    const server = await startStaticServer({ mounts: { '/': app } });
    try {
      await reshapeIn(`${server.url}/index.html`, app);
    } finally {
      await server.close();
    }
  });

  it('a plain page with <script type="module"> and an import map, no bundler', async () => {
    const app = await makeApp(dir, 'static', packed.tarball, {}, 'app.js');
    const server = await startStaticServer({ mounts: { '/': app } });
    try {
      const { page } = await reshapeIn(`${server.url}/index.html`, app);
      const missing = await page.evaluate(() => (window as any).app.tryCreate({ wasmBaseUrl: '/no/such/wasm/' }));
      console.log(`wasm folder that is not there: ${missing.code}: ${missing.message}`);
      expect(missing.code).toBe('MODEL_LOAD_FAILED');
      expect(missing.message).toMatch(/HTTP 404/);
      expect(missing.message).toMatch(/wasmBaseUrl/);
    } finally {
      await server.close();
    }
  });

  it('a strict TypeScript consumer (skipLibCheck: false) typechecks under moduleResolution bundler and nodenext; a wrong use is a type error', async () => {
    const app = await makeApp(dir, 'types', packed.tarball, { typescript: rootVersion('typescript') });
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
    const base = { strict: true, skipLibCheck: false, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM', 'DOM.Iterable'] };
    const configs = { bundler: { ...base, module: 'ESNext', moduleResolution: 'bundler' }, nodenext: { ...base, module: 'NodeNext', moduleResolution: 'nodenext' } };
    for (const [name, compilerOptions] of Object.entries(configs)) {
      writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files: ['use.ts'] }));
      writeFileSync(join(app, `tsconfig.${name}.wrong.json`), JSON.stringify({ compilerOptions, files: ['wrong.ts'] }));
      await run(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], { cwd: app }).catch((e) => {
        throw new Error(`moduleResolution ${name}: the consumer does not typecheck:\n${e.stdout}`);
      });
      const wrong = await run(process.execPath, [tsc, '-p', `tsconfig.${name}.wrong.json`], { cwd: app }).then(
        () => '',
        (e) => String(e.stdout),
      );
      console.log(`moduleResolution ${name}, wrong.ts: ${wrong.trim()}`);
      expect(wrong).toMatch(/wrong\.ts\(4,14\): error TS2322: Type 'typeof FaceReshaper' is not assignable to type 'number'/);
      expect(wrong.match(/error TS/g)).toHaveLength(1);
    }
  });
});
