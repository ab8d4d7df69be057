// The fewest requests each network scenario could possibly make, computed from the scenario itself
// (not from the library under test), so `requests` can be read against a floor.

/** A list, then one summary per row: one list request, then the rows in bulk calls of at most `maxBatchSize`. */
export function listWithSummaries(rows: number, maxBatchSize: number): number {
  return 1 + Math.ceil(rows / maxBatchSize);
}

/**
 * Any number of directives touching `collections` collection entries and `items` items of one type and level:
 * each touched entry needs fresh data once, collections one request each, items in bulk calls.
 * A resync of active entries is the same sum.
 */
export function touchedEntries(collections: number, items: number, maxBatchSize: number): number {
  return collections + Math.ceil(items / maxBatchSize);
}

/** Levels reachable from `level` through conversion edges (`from: [to...]`), itself included. */
export function satisfiedBy(
  level: string,
  conversions: Readonly<Record<string, readonly string[]>>,
): Set<string> {
  const seen = new Set<string>([level]);
  const queue = [level];
  while (queue.length > 0) {
    for (const next of conversions[queue.pop()!] ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

/**
 * The fewest level fetches whose conversions cover every held level (exhaustive over subsets, smallest first:
 * the level counts of one item are tiny).
 */
export function levelCover(
  held: readonly string[],
  conversions: Readonly<Record<string, readonly string[]>>,
): number {
  const candidates = [...new Set([...held, ...Object.keys(conversions)])];
  const covers = candidates.map((level) => satisfiedBy(level, conversions));
  for (let size = 0; size <= candidates.length; size++) {
    if (
      subsetsOf(candidates.length, size).some((pick) =>
        held.every((h) => pick.some((i) => covers[i]!.has(h))),
      )
    ) {
      return size;
    }
  }
  return held.length;
}

function subsetsOf(n: number, size: number): number[][] {
  if (size === 0) return [[]];
  const out: number[][] = [];
  const walk = (start: number, picked: number[]): void => {
    if (picked.length === size) {
      out.push(picked);
      return;
    }
    for (let i = start; i < n; i++) walk(i + 1, [...picked, i]);
  };
  walk(0, []);
  return out;
}

/** Switching between filters: each distinct param set needs one request; a revisit within staleness needs none. */
export function filterSwitching(sequence: readonly string[]): number {
  return new Set(sequence).size;
}
