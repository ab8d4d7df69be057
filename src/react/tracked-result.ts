// Hook results that remember which fields a component read, so a change elsewhere does not re-render it.
import type { VerityResult } from './schema';

interface Snapshot {
  readonly data: unknown;
  readonly meta: object;
  readonly predicted?: unknown;
}

/**
 * The fields components read: `data`, `predicted` and `meta.<field>`. Empty until the first read; an empty set means
 * "re-render on any change" (nothing is known yet), as in TanStack Query's tracked results.
 */
export type Reads = Set<string>;

/** Wraps one snapshot as `{ data, meta, predicted }`, recording reads into `reads`. */
export function trackedResult<TData, TMeta extends object>(
  snapshot: { readonly data: TData | null; readonly meta: TMeta; readonly predicted?: TData },
  reads: Reads,
): VerityResult<TData, TMeta> {
  let meta: TMeta | null = null;
  return {
    get data() {
      reads.add('data');
      return snapshot.data;
    },
    get meta() {
      meta ??= new Proxy(snapshot.meta, {
        get(target, key, receiver) {
          if (typeof key === 'string') reads.add(`meta.${key}`);
          return Reflect.get(target, key, receiver);
        },
      });
      return meta;
    },
    get predicted() {
      reads.add('predicted');
      return snapshot.predicted;
    },
  };
}

/** useSelector's compare: two snapshots are equal for this component when every field it read is. */
export function sameReads(reads: Reads): (a: Snapshot, b: Snapshot) => boolean {
  return (a, b) => {
    if (a === b) return true;
    if (reads.size === 0) return false;
    for (const read of reads) {
      if (read === 'data') {
        if (a.data !== b.data) return false;
      } else if (read === 'predicted') {
        if (a.predicted !== b.predicted) return false;
      } else if (field(a.meta, read) !== field(b.meta, read)) {
        return false;
      }
    }
    return true;
  };
}

/** The same, element by element, for a list of snapshots. */
export function sameListReads(reads: Reads): (a: readonly Snapshot[], b: readonly Snapshot[]) => boolean {
  const same = sameReads(reads);
  return (a, b) => a === b || (a.length === b.length && a.every((snapshot, i) => same(snapshot, b[i]!)));
}

function field(meta: object, read: string): unknown {
  return (meta as Record<string, unknown>)[read.slice(5)];
}
