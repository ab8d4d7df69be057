// Runs the benchmarks and prints each figure next to its peer from the same run (`npm run bench`).
import { type BenchRow, coldReads, directiveBurst, disposeLive, memoryPerIdleEntry } from './core.bench';
import { memoryPerRenderedRow } from './react-rows';

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  rows.push(await memoryPerIdleEntry());
  rows.push(await disposeLive());
  rows.push(await directiveBurst());
  rows.push(await coldReads());
  rows.push(await memoryPerRenderedRow());
  console.log('\nverity-xstate vs @tanstack/query-core (same process, same run)\n');
  console.log('| benchmark | verity | query-core | unit | ratio |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${format(row.verity)} | ${format(row.peer)} | ${row.unit} | ${row.ratio.toFixed(2)} |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
