import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { createLogger, defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);

/** The SIMD build only: every browser with WebGPU has wasm SIMD (src/landmarks/assets.ts says so at run time). */
const WASM_FILES = ['vision_wasm_internal.js', 'vision_wasm_internal.wasm'];

/** Ships tasks-vision's wasm in `<outDir>/wasm/`, where src/landmarks/assets.ts names it relative to the built chunks. */
function copyVisionWasm(outDir: string): Plugin {
  return {
    name: 'copy-vision-wasm',
    apply: 'build',
    closeBundle() {
      const from = resolve(dirname(require.resolve('@mediapipe/tasks-vision')), 'wasm');
      const to = resolve(outDir, 'wasm');
      mkdirSync(to, { recursive: true });
      for (const f of WASM_FILES) copyFileSync(resolve(from, f), resolve(to, f));
    },
  };
}

/** The asset URLs are meant to stay unresolved in the library build (src/landmarks/assets.ts); Vite warns about each. */
function quietAssetUrls() {
  const logger = createLogger('warn');
  const warnOnce = logger.warnOnce;
  logger.warnOnce = (msg, options) => {
    if (!/doesn't exist at build time, it will remain unchanged/.test(msg)) warnOnce(msg, options);
  };
  return logger;
}

/**
 * The library (browser ESM): `dist/` is exactly what the package ships, the entries `.` and
 * `./compat`. `--mode testbed` builds the same sources into `.testbed/` with one more entry,
 * `internals`, which the browser tests and the bench load; it is never packed.
 * Every chunk lands directly in the output folder: the asset URLs in src/landmarks/assets.ts are
 * relative to it. Dependencies stay external: the app's bundler (or an import map) provides them.
 */
export default defineConfig(({ mode }) => {
  const testbed = mode === 'testbed';
  const outDir = resolve(__dirname, testbed ? '.testbed' : 'dist');
  const entry: Record<string, string> = { index: resolve(__dirname, 'src/index.ts'), compat: resolve(__dirname, 'src/compat/index.ts') };
  if (testbed) entry.internals = resolve(__dirname, 'src/internals.ts');
  return {
    plugins: [copyVisionWasm(outDir)],
    logLevel: 'warn',
    customLogger: quietAssetUrls(),
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      lib: { entry, formats: ['es'] },
      rollupOptions: {
        external: ['@mediapipe/tasks-vision'],
        output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  };
});
