// Registered types and collections: validated config, level graph, staleness, their entry index and keys.
import { createEntryMachine, type EntryEmitted, type StampedData } from '../machines/entry.machine';
import { Stepper } from '../machines/stepper';
import { VerityError } from '../protocol/errors';
import { isItemId, itemIdKey } from '../protocol/id';
import type { Entry, EntryHost, EntryOwner, EntryStepper } from './entry';
import { buildLevelGraph, DEFAULT_LEVEL, type LevelGraph, normalizeLevel } from './level-graph';
import { isPlainObject, paramsKey } from './params-key';
import { shareStructure } from './structural-sharing';
import type {
  BulkItemFetcher,
  CollectionConfig,
  CollectionData,
  DirectiveGate,
  ItemFetcher,
  Params,
  TypeConfig,
} from './types';

export interface LevelRuntime {
  readonly fetch: ItemFetcher<unknown>;
  readonly bulkFetch: BulkItemFetcher<unknown> | null;
  readonly stalenessMs: number;
}

export interface TypeOwner extends EntryOwner {
  readonly kind: 'item';
  readonly graph: LevelGraph;
  readonly levels: ReadonlyMap<string, LevelRuntime>;
  readonly errorRetryMs: number;
  readonly check: DirectiveGate | undefined;
}

export interface CollectionOwner extends EntryOwner {
  readonly kind: 'collection';
  readonly fetch: CollectionConfig<Params>['fetch'];
  readonly key: ((params: Params) => string) | undefined;
  readonly stalenessMs: number;
  readonly errorRetryMs: number;
  readonly check: DirectiveGate | undefined;
}

export type Owner = TypeOwner | CollectionOwner;

export interface OwnerDefaults {
  readonly stalenessMs: number;
  readonly errorRetryMs: number;
}

function checkName(name: unknown, what: 'createType' | 'createCollection'): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new VerityError(
      'INVALID_NAME',
      `${what} needs a non-empty string name, e.g. ${what}('invoice', { fetch }).`,
    );
  }
}

function checkDuration(value: unknown, path: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new VerityError('INVALID_OPTIONS', `${path} must be a number of milliseconds ≥ 0.`);
  }
  return value;
}

function checkGate(value: unknown, path: string): DirectiveGate | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new VerityError('INVALID_OPTIONS', `${path} must be a function.`);
  return value as DirectiveGate;
}

/**
 * Items hold one merged object across levels; a non-object result replaces what is held. Either way the
 * unchanged parts keep their identity (structural sharing), so readers of unchanged data do not re-render.
 */
function mergeItemData(previous: unknown, next: unknown): unknown {
  if (isPlainObject(previous) && isPlainObject(next))
    return shareStructure(previous, { ...previous, ...next });
  return shareStructure(previous, next);
}

const replace = (previous: unknown, next: unknown): unknown => shareStructure(previous, next);

export function createTypeOwner(
  name: unknown,
  config: TypeConfig<unknown> | undefined,
  host: EntryHost,
  defaults: OwnerDefaults,
): TypeOwner {
  checkName(name, 'createType');
  if (!config || typeof config !== 'object') {
    throw new VerityError(
      'MISSING_FETCH',
      `createType('${name}', config) needs a config with a fetch(id, level) function.`,
    );
  }
  if (typeof config.fetch !== 'function') {
    throw new VerityError(
      'MISSING_FETCH',
      `Type '${name}' has no fetch: pass createType('${name}', { fetch: (id) => … }).`,
    );
  }
  if (config.bulkFetch !== undefined && typeof config.bulkFetch !== 'function') {
    throw new VerityError(
      'INVALID_OPTIONS',
      `Type '${name}': bulkFetch must be a function (ids, level) => items.`,
    );
  }
  const typeStaleness =
    checkDuration(config.stalenessMs, `Type '${name}' stalenessMs`) ?? defaults.stalenessMs;
  const levels = new Map<string, LevelRuntime>();
  levels.set(DEFAULT_LEVEL, {
    fetch: config.fetch,
    bulkFetch: config.bulkFetch ?? null,
    stalenessMs: typeStaleness,
  });
  const declared = config.levels ?? {};
  if (!isPlainObject(declared)) {
    throw new VerityError(
      'INVALID_LEVEL',
      `Type '${name}': levels must be an object of { [level]: { fetch } }.`,
    );
  }
  for (const level of Object.keys(declared)) {
    const levelConfig = declared[level];
    if (level === '' || level === DEFAULT_LEVEL) {
      throw new VerityError(
        'INVALID_LEVEL',
        `Type '${name}': a level may not be named '${level}'; the default level uses the type's own fetch.`,
      );
    }
    if (level === '__proto__') {
      // Level states live in plain objects keyed by level name, where this key would reach the prototype.
      throw new VerityError(
        'INVALID_LEVEL',
        `Type '${name}': a level may not be named '__proto__'; rename it.`,
      );
    }
    if (!levelConfig || typeof levelConfig.fetch !== 'function') {
      throw new VerityError(
        'MISSING_FETCH',
        `Type '${name}' level '${level}' has no fetch: add levels: { ${level}: { fetch: (id) => … } }.`,
      );
    }
    if (levelConfig.bulkFetch !== undefined && typeof levelConfig.bulkFetch !== 'function') {
      throw new VerityError(
        'INVALID_OPTIONS',
        `Type '${name}' level '${level}': bulkFetch must be a function.`,
      );
    }
    levels.set(level, {
      fetch: levelConfig.fetch,
      bulkFetch: levelConfig.bulkFetch ?? config.bulkFetch ?? null,
      stalenessMs:
        checkDuration(levelConfig.stalenessMs, `Type '${name}' level '${level}' stalenessMs`) ??
        typeStaleness,
    });
  }
  const graph = buildLevelGraph(config);
  const errorRetryMs =
    checkDuration(config.errorRetryMs, `Type '${name}' errorRetryMs`) ?? defaults.errorRetryMs;
  const stepper: EntryStepper = new Stepper<ReturnType<typeof createEntryMachine>, EntryEmitted>(
    createEntryMachine({
      stalenessFor: (level) => levels.get(level)?.stalenessMs ?? typeStaleness,
      merge: mergeItemData,
      errorRetryMs,
      now: host.now,
    }),
  );
  return {
    kind: 'item',
    name,
    stepper,
    host,
    entries: new Map<string, Entry>(),
    graph,
    levels,
    errorRetryMs,
    check: checkGate(config.check, `Type '${name}' check`),
  };
}

export function createCollectionOwner(
  name: unknown,
  config: CollectionConfig<Params> | undefined,
  host: EntryHost,
  defaults: OwnerDefaults,
): CollectionOwner {
  checkName(name, 'createCollection');
  if (!config || typeof config !== 'object' || typeof config.fetch !== 'function') {
    throw new VerityError(
      'MISSING_FETCH',
      `Collection '${name}' has no fetch: pass createCollection('${name}', { fetch: (params) => ({ ids }) }).`,
    );
  }
  if (config.key !== undefined && typeof config.key !== 'function') {
    throw new VerityError(
      'INVALID_OPTIONS',
      `Collection '${name}': key must be a function (params) => string.`,
    );
  }
  const stalenessMs =
    checkDuration(config.stalenessMs, `Collection '${name}' stalenessMs`) ?? defaults.stalenessMs;
  const errorRetryMs =
    checkDuration(config.errorRetryMs, `Collection '${name}' errorRetryMs`) ?? defaults.errorRetryMs;
  const machine = createEntryMachine({
    stalenessFor: () => stalenessMs,
    merge: replace,
    errorRetryMs,
    now: host.now,
  });
  return {
    kind: 'collection',
    name,
    stepper: new Stepper<typeof machine, EntryEmitted>(machine),
    host,
    entries: new Map<string, Entry>(),
    fetch: config.fetch,
    key: config.key,
    stalenessMs,
    errorRetryMs,
    check: checkGate(config.check, `Collection '${name}' check`),
  };
}

/** The entry key of an item id (`7` and `'7'` are one item). */
export function itemKey(type: string, id: unknown): string {
  const key = itemIdKey(id);
  if (key !== null) return key;
  throw new VerityError(
    'INVALID_ID',
    `Item ids are non-empty strings or finite numbers; fetchItem('${type}', …) got ${describe(id)}.`,
  );
}

/** A read's level: null or undefined is the default level; anything else must be declared. */
export function levelNamed(owner: TypeOwner, level: unknown): string {
  const name = normalizeLevel(level);
  if (name === null || !owner.levels.has(name)) {
    throw new VerityError(
      'UNKNOWN_LEVEL',
      `Type '${owner.name}' has no level '${String(level)}': declare it in createType('${owner.name}', { levels: { … } }).`,
    );
  }
  return name;
}

/** The entry key of a collection read with `params`: the owner's key(params), else the stable params key. */
export function collectionKey(owner: CollectionOwner, params: unknown): string {
  if (params !== undefined && params !== null && !isPlainObject(params)) {
    throw new VerityError(
      'INVALID_PARAMS',
      `Collection '${owner.name}' params must be a plain object (or null); got ${describe(params)}.`,
    );
  }
  if (!owner.key) return paramsKey(params);
  let key: unknown;
  try {
    key = owner.key((params ?? {}) as Params);
  } catch (error) {
    throw new VerityError('INVALID_PARAMS', `Collection '${owner.name}' key(params) threw.`, {
      cause: error,
    });
  }
  if (typeof key !== 'string') {
    throw new VerityError('INVALID_PARAMS', `Collection '${owner.name}' key(params) must return a string.`);
  }
  return key;
}

/**
 * A fetcher's answer for one entry, checked and stamped: the levels it satisfies (conversions gated by
 * `checkIfExists`). Throws a VerityError when the answer has the wrong shape; the fetch then counts as failed.
 */
export function stampAnswer(owner: Owner, key: string, level: string, raw: unknown, at: number): StampedData {
  if (owner.kind === 'collection') {
    return { level, data: toCollectionData(owner.name, raw), stamps: [DEFAULT_LEVEL], at };
  }
  if (raw === undefined) {
    throw new VerityError(
      'INVALID_RESPONSE',
      `Type '${owner.name}' fetch for id '${key}' (level '${level}') returned undefined; return the data or throw.`,
    );
  }
  return { level, data: raw, stamps: owner.graph.stampsFor(level, raw), at };
}

/** `{ ids, count?, meta? }` or `{ items, meta? }` → the collection's data; anything else is an error. */
function toCollectionData(name: string, raw: unknown): CollectionData {
  if (!isPlainObject(raw) && !(typeof raw === 'object' && raw !== null && !Array.isArray(raw))) {
    throw new VerityError(
      'INVALID_RESPONSE',
      `Collection '${name}' fetch returned ${describe(raw)}; return { ids: [...], count?, meta? } or { items: [...] }.`,
    );
  }
  const record = raw as Record<string, unknown>;
  const meta = record.meta === undefined ? null : record.meta;
  if (Array.isArray(record.ids)) {
    const ids = record.ids.filter(isItemId);
    const count =
      typeof record.count === 'number' && Number.isFinite(record.count) ? record.count : ids.length;
    return Object.freeze({ ids: Object.freeze(ids), count, meta });
  }
  if (Array.isArray(record.items)) {
    const ids: (string | number)[] = [];
    for (const item of record.items) {
      if (isItemId(item)) ids.push(item);
      else if (item && typeof item === 'object' && isItemId((item as Record<string, unknown>).id)) {
        ids.push((item as Record<string, unknown>).id as string | number);
      }
    }
    return Object.freeze({ ids: Object.freeze(ids), count: ids.length, meta });
  }
  throw new VerityError(
    'INVALID_RESPONSE',
    `Collection '${name}' fetch returned an object without ids or items; return { ids: [...], count?, meta? }.`,
  );
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
