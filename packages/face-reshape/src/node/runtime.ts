import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { Browser, Page } from 'puppeteer';
import { launchChromium } from './chromium.js';
import { startStaticServer, type StaticServer } from './static-server.js';

/**
 * The library's Node-side runtime: a 127.0.0.1 static server for the library's own files and a
 * headless Chromium whose pages import the built library, the same files a web app ships. Used by
 * the CLI, the server, the bench and the browser tests.
 */

const require = createRequire(import.meta.url);

/** The installed webgpu-face-reshape package (in this repository: its root, linked by npm workspaces). */
export const LIBRARY_ROOT = dirname(require.resolve('webgpu-face-reshape/package.json'));

/** tasks-vision as the library resolves it (it is the library's dependency, not this package's). */
const TASKS_VISION_DIR = dirname(createRequire(resolve(LIBRARY_ROOT, 'package.json')).resolve('@mediapipe/tasks-vision'));

const IMPORT_MAP = { imports: { '@mediapipe/tasks-vision': '/vendor/tasks-vision/vision_bundle.mjs' } };

/**
 * The page every job runs in: `window.lib` is the package root, `window.compat` its `./compat`
 * entry, and `window.internals` the test bed's extra entry where the library folder has one.
 * The library finds its model and wasm next to its own files (`/models/`, `/dist/wasm/`).
 */
export function harnessHtml(withInternals: boolean): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>face-reshape runtime</title>
<script type="importmap">${JSON.stringify(IMPORT_MAP)}</script>
<script type="module">
  try {
    window.lib = await import('/dist/index.js');
    window.compat = await import('/dist/compat.js');
    ${withInternals ? "window.internals = await import('/dist/internals.js');" : ''}
    window.harnessReady = true;
  } catch (e) {
    window.harnessError = String(e && e.stack || e);
  }
</script></head><body></body></html>`;
}

export interface RuntimeOptions {
  /** Extra URL prefix → folder mounts (tests mount fixtures). */
  mounts?: Record<string, string>;
  /** Extra Chromium flags (e.g. fake camera). */
  chromiumArgs?: string[];
  /** The built library served at /dist/ (default: the package's own dist/; the tests use the test bed build). */
  libraryDir?: string;
  /** [batch] The static server's port and caching (the CLI's persistent profile needs a stable, cacheable origin). */
  server?: { port?: number; cacheable?: boolean };
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
  const libraryDir = options.libraryDir ?? resolve(LIBRARY_ROOT, 'dist');
  if (!existsSync(resolve(libraryDir, 'index.js'))) {
    throw new Error(`The built library is missing (${libraryDir}/index.js): run \`npm run build\` in webgpu-face-reshape first.`);
  }
  const server = await startStaticServer({
    mounts: {
      '/dist/': libraryDir,
      '/models/': resolve(LIBRARY_ROOT, 'models'),
      '/vendor/tasks-vision/': TASKS_VISION_DIR,
      ...options.mounts,
    },
    documents: { '/harness.html': harnessHtml(existsSync(resolve(libraryDir, 'internals.js'))) },
    ...options.server, // [batch]
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
