import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const WASM_DIR = resolve(dirname(require.resolve('@mediapipe/tasks-vision')), 'wasm');
const MODEL = resolve(HERE, '..', 'models', 'face_landmarker.task');
/** The SIMD build is precached (every current browser has wasm SIMD); the no-SIMD one is shipped too. */
const WASM_PRECACHED = ['vision_wasm_internal.js', 'vision_wasm_internal.wasm'];
const WASM_ALL = [...WASM_PRECACHED, 'vision_wasm_nosimd_internal.js', 'vision_wasm_nosimd_internal.wasm'];

/** Serves (dev) or emits (build) the model and the wasm from the demo's own origin: ./models/, ./wasm/. */
function modelAndWasm(): Plugin {
  const files: Record<string, string> = { 'models/face_landmarker.task': MODEL };
  for (const f of WASM_ALL) files[`wasm/${f}`] = resolve(WASM_DIR, f);
  return {
    name: 'face-reshape-demo-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0]).replace(/^\//, '');
        const file = files[path];
        if (!file) return next();
        res.setHeader('content-type', path.endsWith('.wasm') ? 'application/wasm' : path.endsWith('.js') ? 'text/javascript' : 'application/octet-stream');
        res.setHeader('content-length', statSync(file).size);
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const [fileName, file] of Object.entries(files)) this.emitFile({ type: 'asset', fileName, source: readFileSync(file) });
    },
  };
}

/** Writes sw.js with the list of everything to precache: the built app, the model and the SIMD wasm. */
function serviceWorker(): Plugin {
  return {
    name: 'face-reshape-demo-sw',
    apply: 'build',
    enforce: 'post',
    generateBundle(_opts, bundle) {
      const skip = (f: string) => f.endsWith('.map') || f.includes('nosimd') || f === 'sw.js';
      const precache = ['manifest.webmanifest', 'icon.svg', ...Object.keys(bundle).filter((f) => !skip(f))].sort();
      const version = Date.now().toString(36);
      const source = readFileSync(resolve(HERE, 'sw-template.js'), 'utf8')
        .replace('__PRECACHE__', JSON.stringify(precache, null, 2))
        .replace('__VERSION__', version);
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

// `npm run demo` serves this folder; `npx vite build demo` writes demo/dist (servable by any static server).
export default defineConfig({
  root: HERE,
  base: './',
  plugins: [modelAndWasm(), serviceWorker()],
  build: { outDir: resolve(HERE, 'dist'), emptyOutDir: true, target: 'es2022', sourcemap: false },
});
