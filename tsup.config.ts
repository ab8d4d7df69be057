import { defineConfig } from 'tsup';

const external = ['xstate', 'rxjs', 'react', 'ioredis', '@xstate/react', 'fast-check'];

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'react/index': 'src/react/index.ts',
      'server/index': 'src/server/index.ts',
      'server/redis': 'src/server/redis.ts',
      'testing/index': 'src/testing/index.ts',
    },
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    external,
  },
  {
    // One file for <script> users: `Verity.createRegistry()`, with xstate and rxjs inside.
    entry: { 'verity.iife': 'src/index.ts' },
    format: ['iife'],
    globalName: 'Verity',
    minify: true,
    target: 'es2020',
    platform: 'browser',
    outExtension: () => ({ js: '.min.js' }),
  },
]);
