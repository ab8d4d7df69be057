// Directive validation: both wire dialects (and invalidate groups) normalised into one internal form, or rejected.
import { DEFAULT_LEVEL, normalizeLevel } from '../registry/level-graph';
import { isPlainObject, snapshotParams } from '../registry/params-key';
import { itemIdKey } from './id';

export interface DirectiveMeta {
  readonly key: string | null;
  readonly source: string | null;
  readonly audience: string | null;
  readonly seq: number | null;
  readonly timestamp: unknown;
}

export interface ItemResultLevel {
  readonly level: string;
  readonly data: unknown;
  readonly ts: number | null;
}

export interface CollectionResult {
  readonly ids: readonly unknown[];
  readonly count: number;
  readonly meta: unknown;
}

export type NormalizedDirective =
  | {
      readonly kind: 'collection';
      readonly name: string;
      readonly params: Readonly<Record<string, unknown>> | null;
      readonly mode: 'exact' | 'contains';
      readonly result: CollectionResult | null;
      readonly meta: DirectiveMeta;
      readonly raw: unknown;
    }
  | {
      readonly kind: 'item';
      readonly name: string;
      readonly id: string;
      /** null when the directive names no level: the caller decides what that means. */
      readonly level: string | null;
      readonly result: readonly ItemResultLevel[] | null;
      readonly meta: DirectiveMeta;
      readonly raw: unknown;
    }
  | { readonly kind: 'reload'; readonly hard: boolean; readonly meta: DirectiveMeta; readonly raw: unknown };

export interface Rejection {
  readonly directive: unknown;
  readonly reason: string;
}

export interface NormalizeOptions {
  readonly maxDirectivesPerBatch: number;
}

export interface NormalizedBatch {
  directives: NormalizedDirective[];
  rejected: Rejection[];
}

/** Invalidate groups may nest this deep; a group inside the eighth one is rejected. */
export const MAX_GROUP_DEPTH = 8;

const KNOWN_OPS = "'refresh_collection', 'refresh_item', 'invalidate', 'force_reload_page' or 'refresh'";
const EMPTY_PARAMS: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_META: DirectiveMeta = Object.freeze({
  key: null,
  source: null,
  audience: null,
  seq: null,
  timestamp: null,
});

/**
 * Thrown inside this module only, to turn the first broken field into a rejection reason. Not an Error: a
 * rejection must cost no more than its report entry, and an Error captures a stack trace each time.
 */
class Invalid {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

type Bag = object;

function isBag(value: unknown): value is Bag {
  return typeof value === 'object' && value !== null;
}

function safeIsArray(value: unknown): boolean {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (safeIsArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function messageOf(error: unknown): string {
  try {
    if (error instanceof Error && typeof error.message === 'string') return error.message;
    return typeof error === 'string' ? error : kindOf(error);
  } catch {
    return 'an unreadable error';
  }
}

// Own properties only: a directive is JSON, and inherited (possibly polluted) fields must not steer it.
function read(bag: Bag, field: string, label: string = field): unknown {
  try {
    return Object.hasOwn(bag, field) ? (bag as Record<string, unknown>)[field] : undefined;
  } catch (error) {
    throw new Invalid(`${label} could not be read (${messageOf(error)})`);
  }
}

function has(bag: Bag, field: string, label: string = field): boolean {
  try {
    return Object.hasOwn(bag, field);
  } catch (error) {
    throw new Invalid(`${label} could not be read (${messageOf(error)})`);
  }
}

function ownKeys(bag: Bag, label: string): string[] {
  try {
    return Object.keys(bag);
  } catch (error) {
    throw new Invalid(`${label} could not be read (${messageOf(error)})`);
  }
}

function readArray(value: unknown, label: string): unknown[] {
  try {
    const source = value as ArrayLike<unknown>;
    const items: unknown[] = [];
    for (let index = 0; index < source.length; index++) items.push(source[index]);
    return items;
  } catch (error) {
    throw new Invalid(`${label} could not be read (${messageOf(error)})`);
  }
}

function absent(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

function readKey(bag: Bag): string | null {
  const field = has(bag, 'idempotency_key') ? 'idempotency_key' : 'key';
  const value = read(bag, field);
  if (absent(value) || value === '') return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new Invalid(`${field} must be a string or a finite number, got ${kindOf(value)}`);
}

// source, audience, seq and timestamp are informational, so a malformed one is ignored rather than rejected.
function readMeta(bag: Bag, inherited: DirectiveMeta, fallbackKey: string | null): DirectiveMeta {
  const source = read(bag, 'source');
  const audience = read(bag, 'audience');
  const seq = read(bag, 'seq');
  const timestamp = read(bag, 'timestamp');
  return Object.freeze({
    key: readKey(bag) ?? fallbackKey,
    source: typeof source === 'string' ? source : inherited.source,
    audience: typeof audience === 'string' ? audience : inherited.audience,
    seq: typeof seq === 'number' && Number.isFinite(seq) ? seq : inherited.seq,
    timestamp: absent(timestamp) ? inherited.timestamp : timestamp,
  });
}

function readName(bag: Bag): string {
  const name = read(bag, 'name');
  if (typeof name !== 'string' || name === '') {
    throw new Invalid(
      `name must be a non-empty string, got ${name === '' ? 'an empty string' : kindOf(name)}`,
    );
  }
  return name;
}

function readId(bag: Bag): string {
  const id = read(bag, 'id');
  const key = itemIdKey(id);
  if (key !== null) return key;
  const got = id === '' ? 'an empty string' : typeof id === 'number' ? String(id) : kindOf(id);
  throw new Invalid(`id must be a non-empty string or a finite number, got ${got}`);
}

function readLevel(value: unknown, label: string): string | null {
  if (absent(value) || value === '') return null;
  if (typeof value === 'string') return value;
  throw new Invalid(`${label} must be a string, got ${kindOf(value)}`);
}

function readParams(bag: Bag): Readonly<Record<string, unknown>> | null {
  const params = read(bag, 'params');
  if (absent(params)) return null;
  if (!isPlainObject(params)) {
    throw new Invalid(`params must be a plain object, null or omitted, got ${kindOf(params)}`);
  }
  try {
    return snapshotParams(params) ?? EMPTY_PARAMS;
  } catch (error) {
    throw new Invalid(`params are not plain JSON data: ${messageOf(error)}`);
  }
}

function readMode(bag: Bag): 'exact' | 'contains' {
  const mode = read(bag, 'params_mode');
  if (absent(mode) || mode === 'exact') return 'exact';
  if (mode === 'contains') return 'contains';
  const got = typeof mode === 'string' ? quote(mode) : kindOf(mode);
  throw new Invalid(`params_mode must be 'exact' or 'contains', got ${got}`);
}

function toTs(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

/** The wrapped form is an object whose only keys are `data` and optionally `ts`; any other value is the data. */
function readLevelEntry(level: string, value: unknown): ItemResultLevel {
  const label = `result.levels.${level}`;
  if (isBag(value) && !safeIsArray(value) && has(value, 'data', label)) {
    const keys = ownKeys(value, label);
    const wrapped = keys.length === 1 || (keys.length === 2 && has(value, 'ts', label));
    if (wrapped) {
      const ts = toTs(read(value, 'ts', `${label}.ts`));
      return Object.freeze({ level, data: read(value, 'data', `${label}.data`), ts });
    }
  }
  return Object.freeze({ level, data: value, ts: null });
}

function readItemResult(bag: Bag): readonly ItemResultLevel[] | null {
  const result = read(bag, 'result');
  if (absent(result)) return null;
  if (!isBag(result) || safeIsArray(result)) {
    throw new Invalid(`result must be an object with data or levels, got ${kindOf(result)}`);
  }
  const hasLevels = has(result, 'levels', 'result.levels');
  const hasData = has(result, 'data', 'result.data');
  if (hasLevels && hasData) throw new Invalid('result must carry either data or levels, not both');
  if (hasData) {
    const level = readLevel(read(result, 'level', 'result.level'), 'result.level') ?? DEFAULT_LEVEL;
    const ts = toTs(read(result, 'ts', 'result.ts'));
    return Object.freeze([Object.freeze({ level, data: read(result, 'data', 'result.data'), ts })]);
  }
  if (!hasLevels) {
    throw new Invalid('result must have data ({ data } or { level, data }) or levels ({ levels })');
  }
  const levels = read(result, 'levels', 'result.levels');
  if (!isBag(levels) || safeIsArray(levels)) {
    throw new Invalid(`result.levels must be an object of { level: data }, got ${kindOf(levels)}`);
  }
  const entries: ItemResultLevel[] = [];
  const seen = new Set<string>();
  for (const name of ownKeys(levels, 'result.levels')) {
    const level = normalizeLevel(name) ?? name;
    if (seen.has(level)) throw new Invalid(`result.levels names the level ${quote(level)} twice`);
    seen.add(level);
    entries.push(readLevelEntry(level, read(levels, name, `result.levels.${name}`)));
  }
  if (entries.length === 0) throw new Invalid('result.levels must name at least one level');
  return Object.freeze(entries);
}

/** Collection ids are item ids: a consumer reads each one with fetchItem, so anything else is refused here. */
function checkIds(ids: readonly unknown[], label: (index: number) => string): void {
  for (let index = 0; index < ids.length; index++) {
    const id = ids[index];
    if (typeof id === 'string' ? id !== '' : typeof id === 'number' && Number.isFinite(id)) continue;
    const got = id === '' ? 'an empty string' : typeof id === 'number' ? String(id) : kindOf(id);
    throw new Invalid(`${label(index)} must be a non-empty string or a finite number, got ${got}`);
  }
}

function readCollectionResult(bag: Bag): CollectionResult | null {
  const result = read(bag, 'result');
  if (absent(result)) return null;
  if (!isBag(result) || safeIsArray(result)) {
    throw new Invalid(`result must be an object with ids or items, got ${kindOf(result)}`);
  }
  const meta = read(result, 'meta', 'result.meta');
  const ids = read(result, 'ids', 'result.ids');
  if (!absent(ids)) {
    if (!safeIsArray(ids)) throw new Invalid(`result.ids must be an array, got ${kindOf(ids)}`);
    const list = Object.freeze(readArray(ids, 'result.ids'));
    checkIds(list, (index) => `result.ids[${index}]`);
    const count = read(result, 'count', 'result.count');
    if (absent(count)) return Object.freeze({ ids: list, count: list.length, meta });
    if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) {
      const got = typeof count === 'number' ? String(count) : kindOf(count);
      throw new Invalid(`result.count must be a finite number ≥ 0, got ${got}`);
    }
    return Object.freeze({ ids: list, count, meta });
  }
  const items = read(result, 'items', 'result.items');
  if (absent(items)) {
    throw new Invalid('result must have an ids array ({ ids, count?, meta? }) or an items array');
  }
  if (!safeIsArray(items)) throw new Invalid(`result.items must be an array, got ${kindOf(items)}`);
  const raw = readArray(items, 'result.items');
  const list = raw.map((item, index) => {
    if (!isBag(item)) return item;
    const label = `result.items[${index}]`;
    if (!has(item, 'id', label)) throw new Invalid(`${label} is an object without an id`);
    return read(item, 'id', `${label}.id`);
  });
  checkIds(list, (index) => `result.items[${index}]${isBag(raw[index]) ? '.id' : ''}`);
  return Object.freeze({ ids: Object.freeze(list), count: list.length, meta });
}

function collection(bag: Bag, meta: DirectiveMeta): NormalizedDirective {
  const name = readName(bag);
  const params = readParams(bag);
  const mode = readMode(bag);
  const result = readCollectionResult(bag);
  return Object.freeze({ kind: 'collection', name, params, mode, result, meta, raw: bag });
}

function item(bag: Bag, meta: DirectiveMeta): NormalizedDirective {
  const name = readName(bag);
  const id = readId(bag);
  const level = readLevel(read(bag, 'level'), 'level');
  const result = readItemResult(bag);
  return Object.freeze({ kind: 'item', name, id, level, result, meta, raw: bag });
}

function reload(bag: Bag, meta: DirectiveMeta): NormalizedDirective {
  const hard = read(bag, 'hard');
  if (!absent(hard) && typeof hard !== 'boolean') {
    throw new Invalid(`hard must be a boolean, got ${kindOf(hard)}`);
  }
  return Object.freeze({ kind: 'reload', hard: hard === true, meta, raw: bag });
}

type Op = 'refresh_collection' | 'refresh_item' | 'force_reload_page' | 'refresh' | 'invalidate';
const OPS: ReadonlySet<unknown> = new Set<Op>([
  'refresh_collection',
  'refresh_item',
  'force_reload_page',
  'refresh',
  'invalidate',
]);

/** Why `op` is not one we know, or null when it is one. */
function opProblem(op: unknown): string | null {
  if (OPS.has(op)) return null;
  if (absent(op)) return `op is missing: expected ${KNOWN_OPS}`;
  const got = typeof op === 'string' ? quote(op) : kindOf(op);
  return `unknown op ${got}: expected ${KNOWN_OPS}`;
}

function single(bag: Bag, op: Op, meta: DirectiveMeta): NormalizedDirective {
  switch (op) {
    case 'refresh_collection':
      return collection(bag, meta);
    case 'refresh_item':
      return item(bag, meta);
    case 'force_reload_page':
      return reload(bag, meta);
    case 'refresh':
    case 'invalidate': {
      const kind = read(bag, 'kind');
      if (kind === 'collection') return collection(bag, meta);
      if (kind === 'item') return item(bag, meta);
      if (op === 'invalidate' && absent(kind)) {
        throw new Invalid("invalidate needs targets (a group) or kind 'collection' | 'item'");
      }
      const got = typeof kind === 'string' ? quote(kind) : kindOf(kind);
      throw new Invalid(`kind must be 'collection' or 'item' for op '${op}', got ${got}`);
    }
  }
}

class Batch {
  readonly directives: NormalizedDirective[] = [];
  readonly rejected: Rejection[] = [];
  /** Directives past the limit: rejected together, unread. */
  #overflow: unknown[] = [];
  readonly #limit: number;
  /** Directives counted against the limit so far: each accepted or rejected one (groups count their targets). */
  #counted = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  reject(directive: unknown, reason: string): void {
    this.#counted++;
    this.rejected.push(Object.freeze({ directive, reason }));
  }

  /** `depth` counts the groups around `raw`; `fallbackKey` is the idempotency key derived from them. */
  visit(raw: unknown, depth: number, inherited: DirectiveMeta, fallbackKey: string | null): void {
    // The cheap shape checks reject without throwing: junk at volume is the usual hostile frame.
    if (!isBag(raw) || safeIsArray(raw)) {
      this.reject(raw, `a directive must be an object, got ${kindOf(raw)}`);
      return;
    }
    try {
      const op = read(raw, 'op');
      const problem = opProblem(op);
      if (problem !== null) {
        this.reject(raw, problem);
        return;
      }
      const targets = op === 'invalidate' ? read(raw, 'targets') : undefined;
      const meta = readMeta(raw, inherited, fallbackKey);
      if (absent(targets)) {
        const directive = single(raw, op as Op, meta);
        this.#counted++;
        this.directives.push(directive);
        return;
      }
      if (depth >= MAX_GROUP_DEPTH) {
        throw new Invalid(`invalidate groups are nested deeper than ${MAX_GROUP_DEPTH} levels`);
      }
      if (!safeIsArray(targets)) {
        throw new Invalid(`targets must be an array of directives, got ${kindOf(targets)}`);
      }
      this.visitAll(targets, 'targets', depth + 1, meta);
    } catch (error) {
      this.reject(
        raw,
        error instanceof Invalid ? error.message : `directive could not be read (${messageOf(error)})`,
      );
    }
  }

  /**
   * Reads element by element, so one unreadable element is rejected alone and the others still apply. Once
   * the limit is reached, the remaining elements are set aside unread (the cost is bounded by the limit).
   */
  visitAll(list: unknown, label: string, depth: number, inherited: DirectiveMeta): void {
    const source = list as ArrayLike<unknown>;
    let length: number;
    try {
      length = source.length;
    } catch (error) {
      throw new Invalid(`${label} could not be read (${messageOf(error)})`);
    }
    for (let index = 0; index < length; index++) {
      if (this.#counted >= this.#limit) {
        this.#setAside(source, index, length);
        return;
      }
      let element: unknown;
      try {
        element = source[index];
      } catch (error) {
        this.reject(undefined, `${label}[${index}] could not be read (${messageOf(error)})`);
        continue;
      }
      this.visit(element, depth, inherited, inherited.key === null ? null : `${inherited.key}/${index}`);
    }
  }

  /** Elements `from`..`length` of a list, set aside unread: one native copy, element by element only if that throws. */
  #setAside(source: ArrayLike<unknown>, from: number, length: number): void {
    let rest: unknown[];
    try {
      rest = Array.prototype.slice.call(source, from, length);
    } catch {
      rest = [];
      for (let index = from; index < length; index++) {
        try {
          rest.push(source[index]);
        } catch {
          rest.push(undefined);
        }
      }
    }
    this.#overflow = this.#overflow.length === 0 ? rest : this.#overflow.concat(rest);
  }

  /** The directives past the limit, as one rejection. */
  rejectOverflow(): void {
    const overflow = this.#overflow;
    if (overflow.length === 0) return;
    this.rejected.push(
      Object.freeze({
        directive: Object.freeze(overflow),
        reason: `over limits.maxDirectivesPerBatch (${this.#limit}): the ${overflow.length} directive(s) after it are rejected as one group, unread`,
      }),
    );
  }
}

function limitOf(options: NormalizeOptions): number {
  const limit = options.maxDirectivesPerBatch;
  return typeof limit === 'number' && limit >= 0 ? Math.floor(limit) : Number.POSITIVE_INFINITY;
}

/**
 * Validates and normalises a batch of directives (an array, or one directive object). Never throws: every
 * input directive ends up either normalised (groups flattened into their targets) or rejected with a reason.
 */
export function normalizeDirectives(input: unknown, options: NormalizeOptions): NormalizedBatch {
  const batch = new Batch(limitOf(options));
  if (safeIsArray(input)) {
    try {
      batch.visitAll(input, 'directives', 0, NO_META);
    } catch (error) {
      batch.reject(input, error instanceof Invalid ? error.message : 'directives could not be read');
    }
  } else if (isBag(input)) {
    // One directive is a batch of one: the limit applies to it (and to a group's targets) alike.
    batch.visitAll([input], 'directives', 0, NO_META);
  } else {
    batch.reject(
      input,
      `directives must be an array of directive objects (or one object), got ${kindOf(input)}`,
    );
  }
  batch.rejectOverflow();
  return { directives: batch.directives, rejected: batch.rejected };
}
