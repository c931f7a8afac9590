import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Node-side build: the CLI and the drop-in server, which drive the browser library in headless Chromium.
export default defineConfig({
  build: {
    outDir: 'dist/node',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: true,
    ssr: true,
    rollupOptions: {
      input: { cli: resolve(__dirname, 'src/cli/main.ts') },
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
});
