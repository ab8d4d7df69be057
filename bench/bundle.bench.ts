// Bytes a browser downloads for each entry point: esbuild-minified, gzipped, peers excluded, next to query-core's.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ratio } from './harness';
import type { BenchOutput } from './report';

/** The package's peer dependencies: the application ships them once whatever cache it uses. */
const PEERS = ['xstate', 'rxjs', 'react', 'react-dom', '@xstate/react', 'ioredis'];

async function minGzip(contents: string): Promise<{ min: number; gzip: number }> {
  const out = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: PEERS,
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.contents;
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

export async function bundle(): Promise<BenchOutput> {
  const core = await minGzip("export * from './src/index';");
  const react = await minGzip("export * from './src/react/index';");
  const queryCore = await minGzip("export * from '@tanstack/query-core';");
  const result = {
    core: { minBytes: core.min, gzipBytes: core.gzip },
    react: { minBytes: react.min, gzipBytes: react.gzip },
    queryCore: { minBytes: queryCore.min, gzipBytes: queryCore.gzip },
    peersExcluded: PEERS,
    ratio: Math.round(ratio(queryCore.gzip, core.gzip) * 1000) / 1000,
  };
  return {
    result,
    rows: [
      {
        figure: "bundle: '.' vs @tanstack/query-core (min+gzip)",
        verity: core.gzip,
        peer: queryCore.gzip,
        unit: 'bytes',
        ratio: result.ratio,
      },
      {
        figure: "bundle: './react' alone (min+gzip; no peer installed)",
        verity: react.gzip,
        peer: Number.NaN,
        unit: 'bytes',
        ratio: Number.NaN,
      },
    ],
  };
}
