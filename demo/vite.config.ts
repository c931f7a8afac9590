import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Writes sw.js with the list of everything to precache: the built app with the model and the wasm Vite emitted for the library. */
function serviceWorker(): Plugin {
  return {
    name: 'face-reshape-demo-sw',
    apply: 'build',
    enforce: 'post',
    generateBundle(_opts, bundle) {
      const skip = (f: string) => f.endsWith('.map') || f === 'sw.js';
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
  plugins: [serviceWorker()],
  build: { outDir: resolve(HERE, 'dist'), emptyOutDir: true, target: 'es2022', sourcemap: false },
});
