import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { Browser, Page } from 'puppeteer';
import { AssetTable } from './assets.js';
import { launchChromium } from './chromium.js';
import { answer, LibraryFiles, Offers } from './intercept.js';
import { startStaticServer, type StaticServer } from './static-server.js';

/**
 * The library's Node-side runtime: a headless Chromium whose pages import the built library, the
 * same files a web app ships. Pages get those files either through CDP request interception
 * (`assets: 'intercept'`: no port is opened at all; the CLI and the server; answered by intercept.ts)
 * or from a 127.0.0.1 static server (`'http'`: tests whose pages register service workers, which
 * interception does not see, and the bench). Each page opens in its own window, so every page is
 * visible and none is throttled as a background tab.
 */

/** The origin intercepted pages load from: never connected to (every request is answered from Node), and a secure context (WebGPU, wasm) as a loopback name. */
export const INTERCEPT_ORIGIN = 'http://face-reshape.localhost';

const require = createRequire(import.meta.url);

/** The installed webgpu-face-reshape package (in this repository: its root, linked by npm workspaces). */
export const LIBRARY_ROOT = dirname(require.resolve('webgpu-face-reshape/package.json'));

/** tasks-vision as the library resolves it (it is the library's dependency, not this package's). */
const TASKS_VISION_DIR = dirname(createRequire(resolve(LIBRARY_ROOT, 'package.json')).resolve('@mediapipe/tasks-vision'));

/** The library's two big files (the wasm binary and the model), by URL path: read once per intercepting runtime (LibraryFiles). */
export const LIBRARY_FILES = ['/dist/wasm/vision_wasm_internal.wasm', '/models/face_landmarker.task'] as const;

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
  /** How pages get their files (see above); default 'http'. */
  assets?: 'http' | 'intercept';
  /** Let puppeteer close Chromium on SIGINT/SIGTERM/SIGHUP (default true); the server handles signals itself. */
  handleSignals?: boolean;
}

export interface Runtime {
  /** Where pages load from, e.g. http://127.0.0.1:43123 or INTERCEPT_ORIGIN. */
  origin: string;
  /** The static server in 'http' mode; null with interception. */
  server: StaticServer | null;
  browser: Browser;
  /**
   * The bytes of LIBRARY_FILES by path, exactly as pages get them (read once, when the runtime
   * started); null in 'http' mode or where one could not be read.
   */
  libraryBytes(): Promise<Map<string, Buffer> | null>;
  /** Opens the harness page; `requests` collects every URL the page asked for. */
  newPage(path?: string): Promise<RuntimePage>;
  close(): Promise<void>;
}

export interface RuntimePage {
  page: Page;
  /** Requests to anything other than the runtime's origin (must stay empty: privacy promise; intercepted pages have them refused too). */
  foreignRequests: string[];
  /**
   * Intercepted pages only: the page's next GET of `path` (of the runtime's origin) gets `body`, once:
   * bytes reach the page without base64 in JavaScript. Returns a function that withdraws the offer.
   */
  offer(path: string, body: Buffer, type: string): () => void;
}

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const libraryDir = options.libraryDir ?? resolve(LIBRARY_ROOT, 'dist');
  if (!existsSync(resolve(libraryDir, 'index.js'))) {
    throw new Error(`The built library is missing (${libraryDir}/index.js): run \`npm run build\` in webgpu-face-reshape first.`);
  }
  const table = {
    mounts: {
      '/dist/': libraryDir,
      '/models/': resolve(LIBRARY_ROOT, 'models'),
      '/vendor/tasks-vision/': TASKS_VISION_DIR,
      ...options.mounts,
    },
    documents: { '/harness.html': harnessHtml(existsSync(resolve(libraryDir, 'internals.js'))) },
  };
  const intercept = options.assets === 'intercept';
  const server = intercept ? null : await startStaticServer(table);
  const assets = intercept ? new AssetTable(table) : null;
  // The two big files are read and encoded for interception while Chromium starts.
  const library = assets ? new LibraryFiles(LIBRARY_FILES, assets) : null;
  let browser: Browser;
  try {
    const signals = options.handleSignals ?? true;
    // With interception, DevTools too goes over a pipe, not a --remote-debugging-port that any local process could drive.
    browser = await launchChromium(options.chromiumArgs, { handleSIGINT: signals, handleSIGTERM: signals, handleSIGHUP: signals, pipe: intercept });
  } catch (e) {
    await server?.close();
    throw e;
  }
  const origin = server ? new URL(server.url).origin : INTERCEPT_ORIGIN;

  return {
    origin,
    server,
    browser,
    libraryBytes: async () => (library ? library.bytes() : null),
    async newPage(path = '/harness.html') {
      // A window of its own: a second tab in one window would be hidden, and Chromium slows hidden pages ~10×.
      const page = await browser.newPage({ type: 'window' });
      const foreignRequests: string[] = [];
      const offers = new Offers();
      if (assets) await page.setRequestInterception(true);
      page.on('request', (req) => {
        const url = req.url();
        if (url.startsWith('data:') || url.startsWith('blob:')) {
          if (assets) void req.continue().catch(() => {});
          return;
        }
        const own = new URL(url).origin === origin;
        if (!own) foreignRequests.push(url);
        // A request left unanswered would hang the page's fetch for good: one that could not be
        // answered (a file gone or unreadable, the answer refused) fails, as a network error would.
        if (assets && library) void answer(req, own, assets, offers, library).catch(() => req.abort('failed').catch(() => {}));
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
      await page.goto(origin + path, { waitUntil: 'load' });
      if (path === '/harness.html') {
        await page.waitForFunction('window.harnessReady || window.harnessError', { timeout: 60_000 });
        const err = await page.evaluate('window.harnessError');
        if (err) throw new Error(`The library failed to load in Chromium (run \`npm run build\` first?): ${err}`);
      }
      return {
        page,
        foreignRequests,
        offer(path, body, type) {
          if (!assets) throw new Error('offer() needs a runtime with assets: \'intercept\'.');
          return offers.offer(path, body, type);
        },
      };
    },
    async close() {
      await browser.close().catch(() => {});
      library?.clear();
      await server?.close();
    },
  };
}
