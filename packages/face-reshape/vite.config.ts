import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The CLI and the drop-in server (Node), which drive the browser library in headless Chromium.
// Every package stays external: Node resolves them, the library included (its ./compat entry;
// npm links it from the repository root, which Vite would otherwise bundle as source).
export default defineConfig({
  logLevel: 'warn',
  ssr: { external: ['webgpu-face-reshape'] },
  build: {
    outDir: resolve(__dirname, 'dist'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    ssr: true,
    rollupOptions: {
      input: { cli: resolve(__dirname, 'src/cli/main.ts') },
      output: { format: 'es', entryFileNames: '[name].js' },
    },
  },
});
