// Builds the demo's React app into examples/demo/dist, importing verity-xstate from this repository's source.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const source = (path: string): string => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  resolve: {
    // Exact matches, so `verity-xstate/react` is not read as `verity-xstate` + `/react`.
    alias: [
      { find: /^verity-xstate$/, replacement: source('index.ts') },
      { find: /^verity-xstate\/react$/, replacement: source('react/index.ts') },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // One chunk holding React, XState and RxJS (about 600 kB before gzip) is fine for a demo.
    chunkSizeWarningLimit: 1024,
  },
  logLevel: 'warn',
});
