// The level graph of a type: which levels a fetched level also satisfies, stamping, and fetch planning.
import { VerityError } from '../protocol/errors';

export type ConversionTargets = string | true | ReadonlyArray<string | true>;
export type LevelConversionMap = Readonly<Record<string, ConversionTargets>>;

export interface LevelGraphInput {
  levelConversionMap?: LevelConversionMap;
  levels?: Readonly<
    Record<string, { levelConversionMap?: LevelConversionMap; checkIfExists?: (data: unknown) => boolean }>
  >;
}

export const DEFAULT_LEVEL = 'default';

/** null, undefined and '' mean the default level; any other non-string is not a level (null, the caller rejects it). */
export function normalizeLevel(level: unknown): string | null {
  if (level === null || level === undefined || level === '') return DEFAULT_LEVEL;
  return typeof level === 'string' ? level : null;
}

export interface LevelGraph {
  /** 'default' first, then the declared levels in declaration order. */
  readonly levels: readonly string[];
  has(level: string): boolean;
  /** The levels a fetch of `level` also satisfies, transitively, without `level` itself, in `levels` order. */
  satisfies(level: string): readonly string[];
  /** The levels a fetch of `level` returning `data` stamps: itself, plus each satisfied level whose check holds. */
  stampsFor(level: string, data: unknown): string[];
  /** The fewest levels to fetch so that every required level is satisfied, in `levels` order. */
  plan(required: Iterable<string>): string[];
}

// Exact search enumerates subsets of candidates; beyond this many it falls back to greedy set cover.
const MAX_EXACT_CANDIDATES = 16;

type Check = (data: unknown) => boolean;

function targetList(targets: unknown): readonly unknown[] {
  return Array.isArray(targets) ? targets : [targets];
}

function unknownLevel(level: string, where: string, known: readonly string[]): VerityError {
  return new VerityError(
    'UNKNOWN_LEVEL',
    `${where} names level '${level}', which is not declared: add it to levels (known: ${known.join(', ')}) or fix the name.`,
  );
}

export function buildLevelGraph(input: LevelGraphInput): LevelGraph {
  const declared = input.levels ?? {};
  const levels: string[] = [DEFAULT_LEVEL];
  for (const name of Object.keys(declared)) {
    if (name === '') {
      throw new VerityError('INVALID_LEVEL', "A level cannot be named '': omit the level to mean 'default'.");
    }
    if (name !== DEFAULT_LEVEL) levels.push(name);
  }
  const index = new Map(levels.map((level, position) => [level, position]));
  const edges = levels.map(() => new Set<number>());
  const checks = new Map<string, Check>();

  const addMap = (map: LevelConversionMap | undefined, implicit: string, where: string): void => {
    if (map === undefined) return;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) {
      throw new VerityError('INVALID_LEVEL', `${where} must be an object of { fromLevel: [toLevels] }.`);
    }
    for (const [from, targets] of Object.entries(map)) {
      const fromIndex = index.get(from);
      if (fromIndex === undefined) throw unknownLevel(from, where, levels);
      for (const target of targetList(targets)) {
        const to = target === true ? implicit : target;
        if (typeof to !== 'string') {
          throw new VerityError(
            'INVALID_LEVEL',
            `${where}.${from} must list level names (or true for '${implicit}'), got ${typeof to}.`,
          );
        }
        const toIndex = index.get(to);
        if (toIndex === undefined) throw unknownLevel(to, `${where}.${from}`, levels);
        if (toIndex !== fromIndex) edges[fromIndex]?.add(toIndex);
      }
    }
  };

  addMap(input.levelConversionMap, DEFAULT_LEVEL, 'levelConversionMap');
  for (const [name, config] of Object.entries(declared)) {
    addMap(config?.levelConversionMap, name, `levels.${name}.levelConversionMap`);
    if (typeof config?.checkIfExists === 'function') checks.set(name, config.checkIfExists);
  }

  // Level counts are small, so every closure is computed once up front.
  const satisfied = levels.map((_, start) => {
    const seen = new Set<number>([start]);
    const queue = [start];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      for (const to of edges[next] ?? []) {
        if (!seen.has(to)) {
          seen.add(to);
          queue.push(to);
        }
      }
    }
    seen.delete(start);
    return [...seen].sort((a, b) => a - b);
  });
  const satisfiedNames = satisfied.map((targets) => Object.freeze(targets.map((i) => levels[i] as string)));

  const indexOf = (level: string): number => {
    const position = index.get(level);
    if (position === undefined) throw unknownLevel(level, 'The request', levels);
    return position;
  };

  const holds = (level: string, data: unknown): boolean => {
    const check = checks.get(level);
    if (check === undefined) return true;
    try {
      return check(data) === true;
    } catch {
      // A check that cannot decide must not stamp a level as held.
      return false;
    }
  };

  return Object.freeze({
    levels: Object.freeze([...levels]),
    has: (level: string) => index.has(level),
    satisfies: (level: string) => satisfiedNames[indexOf(level)] ?? [],
    stampsFor: (level: string, data: unknown) => [
      level,
      ...(satisfiedNames[indexOf(level)] ?? []).filter((target) => holds(target, data)),
    ],
    plan: (required: Iterable<string>) => {
      const wanted = [...new Set([...required].map(indexOf))].sort((a, b) => a - b);
      return planCover(wanted, satisfied).map((i) => levels[i] as string);
    },
  });
}

interface Candidate {
  readonly level: number;
  /** The wanted levels this candidate's closure covers. */
  readonly covers: readonly number[];
  /** 1 when fetching it brings a level nobody asked for. */
  readonly outside: number;
}

/**
 * Minimal set cover of `wanted` by closures (level + what it satisfies). Ties prefer fewer fetched levels outside
 * `wanted`, then the lexicographically earliest choice in level order.
 */
function planCover(wanted: readonly number[], satisfied: readonly (readonly number[])[]): number[] {
  if (wanted.length === 0) return [];
  const wantedSet = new Set(wanted);
  const candidates: Candidate[] = [];
  for (let level = 0; level < satisfied.length; level++) {
    const covers = [level, ...(satisfied[level] ?? [])].filter((to) => wantedSet.has(to));
    if (covers.length > 0) candidates.push({ level, covers, outside: wantedSet.has(level) ? 0 : 1 });
  }
  const plan =
    candidates.length > MAX_EXACT_CANDIDATES
      ? greedyCover(wanted, candidates)
      : exactCover(wanted, candidates);
  return plan.sort((a, b) => a - b);
}

function exactCover(wanted: readonly number[], candidates: readonly Candidate[]): number[] {
  // Every wanted level is its own candidate, so here wanted.length ≤ MAX_EXACT_CANDIDATES and masks fit.
  const bit = new Map(wanted.map((level, position) => [level, 1 << position]));
  const full = (1 << wanted.length) - 1;
  const masks = candidates.map(({ covers }) => covers.reduce((mask, to) => mask | (bit.get(to) ?? 0), 0));
  for (let size = 1; size <= wanted.length; size++) {
    let best: readonly number[] | null = null;
    let bestOutside = Number.POSITIVE_INFINITY;
    // Combinations come out in lexicographic order, so the first one with the fewest outside levels wins ties.
    for (const chosen of combinations(candidates.length, size)) {
      let mask = 0;
      let outside = 0;
      for (const position of chosen) {
        mask |= masks[position] ?? 0;
        outside += candidates[position]?.outside ?? 0;
      }
      if (mask === full && outside < bestOutside) {
        bestOutside = outside;
        best = [...chosen];
      }
    }
    if (best !== null) return best.map((position) => candidates[position]?.level ?? -1);
  }
  return [...wanted];
}

function* combinations(n: number, k: number): Generator<readonly number[]> {
  const chosen = Array.from({ length: k }, (_, i) => i);
  while (true) {
    yield chosen;
    let i = k - 1;
    while (i >= 0 && chosen[i] === n - k + i) i--;
    if (i < 0) return;
    chosen[i] = (chosen[i] ?? 0) + 1;
    for (let j = i + 1; j < k; j++) chosen[j] = (chosen[j - 1] ?? 0) + 1;
  }
}

function greedyCover(wanted: readonly number[], candidates: readonly Candidate[]): number[] {
  const uncovered = new Set(wanted);
  const chosen: Candidate[] = [];
  while (uncovered.size > 0) {
    let best: Candidate | undefined;
    let bestGain = 0;
    for (const candidate of candidates) {
      const gain = candidate.covers.filter((to) => uncovered.has(to)).length;
      if (
        gain > bestGain ||
        (gain === bestGain && gain > 0 && best !== undefined && candidate.outside < best.outside)
      ) {
        best = candidate;
        bestGain = gain;
      }
    }
    if (best === undefined) break;
    chosen.push(best);
    for (const to of best.covers) uncovered.delete(to);
  }
  // Greedy can pick a level whose coverage a later pick subsumes; dropping those keeps no level inside another's closure.
  const kept = [...chosen];
  for (const candidate of chosen) {
    const others = kept.filter((other) => other !== candidate);
    const stillCovered = new Set(others.flatMap((other) => other.covers));
    if (wanted.every((level) => stillCovered.has(level))) kept.splice(kept.indexOf(candidate), 1);
  }
  return kept.map((candidate) => candidate.level);
}

/**
 * The levels to request for a forced refetch of `required`: every level already in flight (it gets its own
 * trailing fetch, since its answer may predate the request), then the minimal plan for whatever those do not
 * cover. Planning around an in-flight level instead could let its older answer land last.
 */
export function planRefetch(
  graph: LevelGraph,
  required: Iterable<string>,
  inFlight: (level: string) => boolean,
): string[] {
  const wanted = [...new Set(required)];
  const flying = wanted.filter(inFlight);
  const covered = new Set(flying.flatMap((level) => [level, ...graph.satisfies(level)]));
  return [...flying, ...graph.plan(wanted.filter((level) => !covered.has(level)))];
}
