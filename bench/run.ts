// Runs the benchmarks (all, or those named: `npm run bench -- directiveOne coldRead`), prints the table and
// writes bench/results.json (a subset run replaces only its own keys).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.bench';
import { coldRead, directiveOne, dispose, freshRead, memoryPerEntry } from './core.bench';
import { frameIngest } from './frame.bench';
import { hub } from './hub.bench';
import { network } from './network.bench';
import { memoryPerRenderedRow } from './react-rows';
import { type BenchOutput, type TableRow, table } from './report';

const benches: Record<string, () => Promise<BenchOutput>> = {
  directiveOne: () => directiveOne(),
  memoryPerEntry: () => memoryPerEntry(),
  coldRead: () => coldRead(),
  freshRead: () => freshRead(),
  dispose: () => dispose(),
  memoryPerRenderedRow: () => memoryPerRenderedRow(),
  frameIngest: () => frameIngest(),
  network: () => network(),
  hub: () => hub(),
  bundle: () => bundle(),
};

const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in benches));
  if (unknown.length > 0) {
    throw new Error(`Unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}.`);
  }
  const names = asked.length > 0 ? asked : Object.keys(benches);
  const previous: Record<string, unknown> = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>)
    : {};
  const fresh: Record<string, unknown> = {};
  const rows: TableRow[] = [];
  for (const name of names) {
    const started = performance.now();
    process.stderr.write(`${name}... `);
    const output = await benches[name]!();
    process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    fresh[name] = output.result;
    rows.push(...output.rows);
  }
  // Known keys in a stable order, whichever of them this run measured.
  const results: Record<string, unknown> = {};
  for (const name of Object.keys(benches)) {
    const value = fresh[name] ?? previous[name];
    if (value !== undefined) results[name] = value;
  }
  results.environment = {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: (await import('node:os')).cpus().length,
    date: new Date().toISOString(),
  };
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log('\nverity-xstate next to its peer, same process, same run, alternating; medians\n');
  console.log(table(rows));
  console.log(`\nwritten: ${RESULTS}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
