// The snapshot refs and hooks show: a frozen `{ data, meta }` built once per change of its entry (SPEC §2 meta).
import { anyLoud, type EntryContext, type LevelState } from '../machines/entry.machine';
import type { BaseMeta, CollectionData, EntryStatus, LevelMeta, Params } from './types';

/** What a meta reads live: the entry's last consumer read, in ms. */
export interface UsedAt {
  readonly lastUsedAt: number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The meta fields every entry has, but the live one. */
type BaseFields = Omit<BaseMeta, 'lastUsedAt'>;

function baseFields(context: EntryContext, status: EntryStatus, lastFetched: string | null): BaseFields {
  let activeQueryId: number | null = null;
  for (const name in context.levels) {
    const qid = context.levels[name]!.qid;
    if (qid !== null && (activeQueryId === null || qid > activeQueryId)) activeQueryId = qid;
  }
  return {
    status,
    isLoading: anyLoud(context),
    isFetching: activeQueryId !== null,
    error: context.error,
    lastFetched,
    activeQueryId: activeQueryId === null ? null : String(activeQueryId),
    isPredicted: false,
  };
}

/**
 * An entry's meta. A class rather than a literal so that `lastUsedAt` can be a live, enumerable own getter without
 * a closure per snapshot: every instance defines it with one shared descriptor, so V8 keeps the getter in the
 * shared shape and the object holds only its fields.
 */
abstract class Meta implements EntryMeta {
  readonly status: EntryStatus;
  readonly isLoading: boolean;
  readonly isFetching: boolean;
  readonly error: Error | null;
  readonly lastFetched: string | null;
  readonly activeQueryId: string | null;
  readonly isPredicted: boolean;
  /** Consumer reads do not change the snapshot (that would re-render on every read), so this one is live. */
  declare readonly lastUsedAt: string | null;
  readonly #entry: UsedAt;

  static readonly #lastUsedAt: PropertyDescriptor = {
    enumerable: true,
    get(this: Meta): string | null {
      return iso(this.#entry.lastUsedAt);
    },
  };

  constructor(entry: UsedAt, fields: BaseFields) {
    this.status = fields.status;
    this.isLoading = fields.isLoading;
    this.isFetching = fields.isFetching;
    this.error = fields.error;
    this.lastFetched = fields.lastFetched;
    this.activeQueryId = fields.activeQueryId;
    this.isPredicted = fields.isPredicted;
    this.#entry = entry;
    Object.defineProperty(this, 'lastUsedAt', Meta.#lastUsedAt);
  }

  /** The same meta, marked as shown beside a prediction. */
  withPrediction(): EntryMeta {
    return frozen(this.copy(this.#entry, { ...this, isPredicted: true }));
  }

  protected abstract copy(entry: UsedAt, fields: BaseFields): Meta;
}

class ItemMeta extends Meta {
  readonly levels: Readonly<Record<string, LevelMeta>>;

  constructor(entry: UsedAt, fields: BaseFields, levels: Readonly<Record<string, LevelMeta>>) {
    super(entry, fields);
    this.levels = levels;
  }

  protected copy(entry: UsedAt, fields: BaseFields): Meta {
    return new ItemMeta(entry, fields, this.levels);
  }
}

class CollectionMeta extends Meta {
  readonly paramsSnapshot: Params | null;
  readonly paramsKey: string;

  constructor(entry: UsedAt, fields: BaseFields, params: Params | null, key: string) {
    super(entry, fields);
    this.paramsSnapshot = params;
    this.paramsKey = key;
  }

  protected copy(entry: UsedAt, fields: BaseFields): Meta {
    return new CollectionMeta(entry, fields, this.paramsSnapshot, this.paramsKey);
  }
}

/** A meta as the registry handles it: the documented fields, and a copy marked as predicted. */
export interface EntryMeta extends BaseFields {
  readonly lastUsedAt: string | null;
  withPrediction(): EntryMeta;
}

export interface EntryView {
  readonly data: unknown;
  readonly meta: EntryMeta;
  readonly predicted?: unknown;
}

/** Object.freeze, keeping the class type (a frozen class instance is still one). */
function frozen<T extends object>(value: T): T {
  Object.freeze(value);
  return value;
}

const EMPTY_COLLECTION: CollectionData = Object.freeze({ ids: Object.freeze([]), count: 0, meta: null });

export function itemView(entry: UsedAt, context: EntryContext, status: EntryStatus): EntryView {
  const levels: Record<string, LevelMeta> = {};
  let newest: number | null = null;
  let lastFetched: string | null = null;
  for (const name in context.levels) {
    const state = context.levels[name]!;
    const at = iso(state.at);
    levels[name] = Object.freeze({ lastFetched: at, isFetching: state.qid !== null, error: state.error });
    // The newest level's stamp is the entry's: one string, shared.
    if (state.at !== null && (newest === null || state.at > newest)) {
      newest = state.at;
      lastFetched = at;
    }
  }
  const meta = new ItemMeta(entry, baseFields(context, status, lastFetched), Object.freeze(levels));
  return Object.freeze({ data: context.data, meta: frozen(meta) });
}

export function collectionView(
  entry: UsedAt,
  context: EntryContext,
  status: EntryStatus,
  params: Params | null,
  key: string,
): EntryView {
  const state: LevelState | undefined = context.levels.default;
  const data = (context.data as CollectionData | null) ?? EMPTY_COLLECTION;
  const meta = new CollectionMeta(entry, baseFields(context, status, iso(state?.at ?? null)), params, key);
  return Object.freeze({ data, meta: frozen(meta) });
}

/** `view` with a prediction beside its truth: `predicted` set and `meta.isPredicted` true. */
export function predictedView(view: EntryView, predicted: unknown): EntryView {
  return Object.freeze({ data: view.data, meta: view.meta.withPrediction(), predicted });
}
