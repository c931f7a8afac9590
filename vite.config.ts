import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);

/** Ships tasks-vision's wasm next to the library so apps load it from their own origin (offline, private). */
function copyVisionWasm(): Plugin {
  return {
    name: 'copy-vision-wasm',
    apply: 'build',
    closeBundle() {
      const from = resolve(dirname(require.resolve('@mediapipe/tasks-vision')), 'wasm');
      const to = resolve(__dirname, 'dist/wasm');
      mkdirSync(to, { recursive: true });
      for (const f of ['vision_wasm_internal.js', 'vision_wasm_internal.wasm', 'vision_wasm_nosimd_internal.js', 'vision_wasm_nosimd_internal.wasm']) {
        copyFileSync(resolve(from, f), resolve(to, f));
      }
    },
  };
}

// Library build (browser ESM). Dependencies stay external: the app's bundler (or an import map) provides them.
export default defineConfig({
  plugins: [copyVisionWasm()],
  build: {
    outDir: 'dist',
    // The library build runs first in `npm run build`; the node build and d.ts emission follow it.
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    lib: {
      entry: { index: resolve(__dirname, 'src/index.ts'), internals: resolve(__dirname, 'src/internals.ts') },
      formats: ['es'],
    },
    rollupOptions: {
      external: ['@mediapipe/tasks-vision', 'gl-matrix', /^node:/],
    },
  },
});
