// Hook results that remember which fields a component read, so a change elsewhere does not re-render it.
import type { VerityResult } from './schema';

/** One snapshot as the hooks see it (an ItemSnapshot or CollectionSnapshot, or a placeholder). */
export interface Snapshot {
  readonly data: unknown;
  readonly meta: object;
  readonly predicted?: unknown;
}

/**
 * The fields components read, as bits: `data`, `predicted` and each `meta.<field>`. 0 until the first read; 0 means
 * "re-render on any change" (nothing is known yet), as in TanStack Query's tracked results. A number, not a Set:
 * every rendered row carries one.
 */
export type Reads = number;

const DATA = 1;
const PREDICTED = 2;
/** A meta key outside META_FIELDS: compare the whole meta object (safe for fields added later). */
const OTHER_META = 4;
const FIRST_META_BIT = 8;

/** Every field of an item or collection meta; each gets its own bit. */
const META_FIELDS = [
  'status',
  'isLoading',
  'isFetching',
  'error',
  'lastFetched',
  'activeQueryId',
  'lastUsedAt',
  'isPredicted',
  'levels',
  'paramsSnapshot',
  'paramsKey',
] as const;

const META_BITS: ReadonlyMap<string, number> = new Map(
  META_FIELDS.map((field, i) => [field, FIRST_META_BIT << i]),
);

/** Where a result records what its component read (the hook's view, shared by a list's results). */
export interface ReadRecorder {
  reads: Reads;
}

/**
 * A read of `meta.<key>`, recorded through the view that owns the results: the handler is the recorder itself, so
 * a meta proxy costs no closure.
 */
export function recordMetaRead(recorder: ReadRecorder, key: string | symbol): void {
  if (typeof key === 'string') recorder.reads |= META_BITS.get(key) ?? OTHER_META;
}

/**
 * `{ data, meta, predicted }` over one snapshot, recording reads into its recorder. Getters on the prototype and
 * three fields: a rendered row keeps one of these per snapshot it shows.
 */
export class TrackedResult<TData, TMeta extends object> implements VerityResult<TData, TMeta> {
  readonly #snapshot: Snapshot;
  readonly #recorder: ReadRecorder & ProxyHandler<object>;
  #meta: TMeta | null = null;

  constructor(snapshot: Snapshot, recorder: ReadRecorder & ProxyHandler<object>) {
    this.#snapshot = snapshot;
    this.#recorder = recorder;
  }

  get data(): TData | null {
    this.#recorder.reads |= DATA;
    return this.#snapshot.data as TData | null;
  }

  get meta(): TMeta {
    this.#meta ??= new Proxy(this.#snapshot.meta, this.#recorder) as TMeta;
    return this.#meta;
  }

  get predicted(): TData | undefined {
    this.#recorder.reads |= PREDICTED;
    return this.#snapshot.predicted as TData | undefined;
  }
}

/** Whether two snapshots are equal for a component that read `reads`. */
export function sameReads(reads: Reads, a: Snapshot, b: Snapshot): boolean {
  if (a === b) return true;
  if (reads === 0) return false;
  if (reads & DATA && a.data !== b.data) return false;
  if (reads & PREDICTED && a.predicted !== b.predicted) return false;
  if (reads & OTHER_META && a.meta !== b.meta) return false;
  if (reads < FIRST_META_BIT) return true;
  const am = a.meta as Record<string, unknown>;
  const bm = b.meta as Record<string, unknown>;
  for (let i = 0; i < META_FIELDS.length; i++) {
    if (reads & (FIRST_META_BIT << i) && am[META_FIELDS[i]!] !== bm[META_FIELDS[i]!]) return false;
  }
  return true;
}

/** The same, element by element, for a list of snapshots. */
export function sameListReads(reads: Reads, a: readonly Snapshot[], b: readonly Snapshot[]): boolean {
  return a === b || (a.length === b.length && a.every((snapshot, i) => sameReads(reads, snapshot, b[i]!)));
}
