import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer';
import { launchChromium } from './chromium';
import { startStaticServer, type StaticServer } from './static-server';

/**
 * The library's Node-side runtime: a 127.0.0.1 static server for the package's own files and a
 * headless Chromium whose pages import the built library. Used by the CLI, the server, the
 * bench and the browser tests, so they all exercise the same code a web app ships.
 */

const require = createRequire(import.meta.url);

/** Package root: src/node/runtime.ts and dist/node/*.js both sit two folders below it. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const IMPORT_MAP = {
  imports: {
    '@mediapipe/tasks-vision': '/vendor/tasks-vision/vision_bundle.mjs',
    'gl-matrix': '/vendor/gl-matrix/esm/index.js',
  },
};

export const HARNESS_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>face-reshape runtime</title>
<script type="importmap">${JSON.stringify(IMPORT_MAP)}</script>
<script type="module">
  try {
    window.lib = await import('/dist/index.js');
    window.internals = await import('/dist/internals.js');
    window.harnessReady = true;
  } catch (e) {
    window.harnessError = String(e && e.stack || e);
  }
</script></head><body></body></html>`;

export interface RuntimeOptions {
  /** Extra URL prefix → folder mounts (tests mount fixtures). */
  mounts?: Record<string, string>;
  /** Extra Chromium flags (e.g. fake camera). */
  chromiumArgs?: string[];
}

export interface Runtime {
  server: StaticServer;
  browser: Browser;
  /** Opens the harness page; `requests` collects every URL the page asked for. */
  newPage(path?: string): Promise<RuntimePage>;
  close(): Promise<void>;
}

export interface RuntimePage {
  page: Page;
  /** Requests to anything other than the local server (must stay empty: privacy promise). */
  foreignRequests: string[];
}

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const server = await startStaticServer({
    mounts: {
      '/dist/': resolve(PACKAGE_ROOT, 'dist'),
      '/models/': resolve(PACKAGE_ROOT, 'models'),
      '/vendor/tasks-vision/': dirname(require.resolve('@mediapipe/tasks-vision')),
      '/vendor/gl-matrix/': dirname(require.resolve('gl-matrix/package.json')),
      ...options.mounts,
    },
    documents: { '/harness.html': HARNESS_HTML },
  });
  let browser: Browser;
  try {
    browser = await launchChromium(options.chromiumArgs);
  } catch (e) {
    await server.close();
    throw e;
  }
  const origin = new URL(server.url).origin;

  return {
    server,
    browser,
    async newPage(path = '/harness.html') {
      const page = await browser.newPage();
      const foreignRequests: string[] = [];
      page.on('request', (req) => {
        const url = req.url();
        if (url.startsWith('data:') || url.startsWith('blob:')) return;
        if (new URL(url).origin !== origin) foreignRequests.push(url);
      });
      // Functions passed to page.evaluate from code run by tsx keep esbuild's `__name(fn, "…")`
      // wrappers; give the page a no-op so those functions run there as written.
      await page.evaluateOnNewDocument('globalThis.__name = (f) => f;');
      page.on('pageerror', (err) => {
        if (process.env.FACE_RESHAPE_DEBUG) console.error('[page error]', err);
      });
      page.on('console', (msg) => {
        if (process.env.FACE_RESHAPE_DEBUG) console.error('[page]', msg.text());
      });
      await page.goto(server.url + path, { waitUntil: 'load' });
      if (path === '/harness.html') {
        await page.waitForFunction('window.harnessReady || window.harnessError', { timeout: 60_000 });
        const err = await page.evaluate('window.harnessError');
        if (err) throw new Error(`The library failed to load in Chromium (run \`npm run build\` first?): ${err}`);
      }
      return { page, foreignRequests };
    },
    async close() {
      await browser.close().catch(() => {});
      await server.close();
    },
  };
}
