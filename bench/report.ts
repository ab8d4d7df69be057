// What a benchmark hands back, and how the figures become bench/results.json and a printed table.

/** One printed line: a verity figure next to its peer's, same unit, same run. */
export interface TableRow {
  figure: string;
  verity: number;
  peer: number;
  unit: string;
  /** How many times better verity is (above 1 = better), as `ratio()` in harness.ts computes it. */
  ratio: number;
}

export interface BenchOutput {
  /** The JSON stored under the benchmark's key in results.json. */
  result: unknown;
  rows: TableRow[];
}

function format(value: number): string {
  if (Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

export function table(rows: readonly TableRow[]): string {
  const lines = ['| figure | verity | peer | unit | ratio (>1 = verity better) |', '|---|---|---|---|---|'];
  for (const row of rows) {
    lines.push(
      `| ${row.figure} | ${format(row.verity)} | ${format(row.peer)} | ${row.unit} | ${format(row.ratio)} |`,
    );
  }
  return lines.join('\n');
}
