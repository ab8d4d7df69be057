// Params identity: the stable JSON key of collection params, `contains` matching and frozen params snapshots.
import { VerityError } from '../protocol/errors';

export const DEFAULT_PARAMS_KEY = '{}';

type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
interface JsonObject {
  readonly [key: string]: JsonValue;
}

const PLAIN_DATA_HINT = 'pass plain JSON data (objects, arrays, strings, finite numbers, booleans, null)';

function pathText(path: readonly string[]): string {
  return path.length === 0 ? 'params' : `params${path.map((key) => `[${JSON.stringify(key)}]`).join('')}`;
}

function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// "__proto__" is defined rather than assigned so that it stays data and never reaches a prototype; every other
// key is assigned, which is the same for a fresh plain object and far cheaper on objects with many keys.
function defineData(target: object, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    (target as Record<string, JsonValue>)[key] = value;
  }
}

function hasToJson(value: object): value is { toJSON(key: string): unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function unwrapBoxed(value: object): unknown {
  if (value instanceof Number) return Number(value);
  if (value instanceof String) return String(value);
  if (value instanceof Boolean) return value.valueOf();
  return value;
}

/** A normalised value and its params key (stable JSON, object keys sorted), computed in one walk. */
interface Normalized {
  readonly value: JsonValue;
  readonly key: string;
}

/** The stable JSON of a normalised leaf (a finite number's JSON is its string form). */
function leafKey(value: string | boolean | number | null): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** Sorts `"key":value` parts by key, as `Object.keys(record).sort()` would order them. */
function byKey(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * Mirrors JSON.stringify's view of a value (toJSON, boxed primitives, dropped functions and symbols,
 * non-finite numbers as null) while producing a frozen tree that keeps every own key as data, and the params key
 * of that tree in the same walk (a wide params object is expensive to enumerate twice).
 * `undefined` means "JSON would drop this".
 */
function walk(
  input: unknown,
  holderKey: string,
  path: string[],
  ancestors: Set<object>,
): Normalized | undefined {
  let value = input;
  if (typeof value === 'object' && value !== null && hasToJson(value)) value = value.toJSON(holderKey);
  if (typeof value === 'object' && value !== null) value = unwrapBoxed(value);

  switch (typeof value) {
    case 'string':
    case 'boolean':
      return { value, key: leafKey(value) };
    case 'number': {
      // -0 and 0 are one key, as JSON.stringify already says.
      const finite = Number.isFinite(value) ? value + 0 : null;
      return { value: finite, key: leafKey(finite) };
    }
    case 'bigint':
      throw new VerityError(
        'INVALID_PARAMS',
        `Params contain a BigInt at ${pathText(path)}: convert it to a string or a number first (JSON cannot represent BigInt).`,
      );
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (typeof value !== 'object' || value === null) return { value: null, key: 'null' };

  if (ancestors.has(value)) {
    throw new VerityError(
      'INVALID_PARAMS',
      `Params contain a circular reference at ${pathText(path)}: ${PLAIN_DATA_HINT}.`,
    );
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items: JsonValue[] = [];
      const keys: string[] = [];
      const source: readonly unknown[] = value;
      for (let index = 0; index < source.length; index++) {
        path.push(String(index));
        const item = walk(source[index], String(index), path, ancestors);
        path.pop();
        items.push(item ? item.value : null);
        keys.push(item ? item.key : 'null');
      }
      return { value: Object.freeze(items), key: `[${keys.join(',')}]` };
    }
    const record = value as Record<string, unknown>;
    const result: JsonObject = {};
    const parts: Array<[string, string]> = [];
    for (const key of Object.keys(record)) {
      const field = record[key];
      // Strings, booleans and finite numbers are their own JSON: no walk, no path bookkeeping.
      if (typeof field === 'string' || typeof field === 'boolean') {
        defineData(result, key, field);
        parts.push([key, `${JSON.stringify(key)}:${leafKey(field)}`]);
        continue;
      }
      if (typeof field === 'number' && Number.isFinite(field)) {
        const number = field + 0;
        defineData(result, key, number);
        parts.push([key, `${JSON.stringify(key)}:${leafKey(number)}`]);
        continue;
      }
      path.push(key);
      const child = walk(field, key, path, ancestors);
      path.pop();
      if (child === undefined) continue;
      defineData(result, key, child.value);
      parts.push([key, `${JSON.stringify(key)}:${child.key}`]);
    }
    parts.sort(byKey);
    let text = '{';
    for (let index = 0; index < parts.length; index++)
      text += index === 0 ? parts[index]![1] : `,${parts[index]![1]}`;
    return { value: Object.freeze(result), key: `${text}}` };
  } finally {
    ancestors.delete(value);
  }
}

function normalize(params: unknown): Normalized | undefined {
  try {
    return walk(params, '', [], new Set());
  } catch (error) {
    if (error instanceof VerityError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new VerityError('INVALID_PARAMS', `Params could not be read (${detail}): ${PLAIN_DATA_HINT}.`, {
      cause: error,
    });
  }
}

function canonical(value: JsonValue): string {
  if (typeof value !== 'object' || value === null) return leafKey(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as JsonObject;
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(record[key] as JsonValue)}`).join(',')}}`;
}

/** `{}`, `null` and dropped params are the default; their key is DEFAULT_PARAMS_KEY. */
function keyOf(normalized: Normalized | undefined): string {
  return normalized === undefined || normalized.value === null ? DEFAULT_PARAMS_KEY : normalized.key;
}

/** Snapshots this module made, with their keys: already normalised and frozen, so keying one is a lookup. */
const snapshots = new WeakMap<object, string>();

/** Stable JSON of params with object keys sorted at every depth; `{}`, `null` and `undefined` give DEFAULT_PARAMS_KEY. */
export function paramsKey(params: unknown): string {
  const known = typeof params === 'object' && params !== null ? snapshots.get(params) : undefined;
  return known ?? keyOf(normalize(params));
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  try {
    const proto: unknown = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
  } catch {
    // A proxy that refuses to reveal its prototype is not plain data.
    return false;
  }
}

/**
 * `contains` matching: every key of the filter is a key of params with a value of the same params key.
 * Both sides are normalised first, so a filter field JSON would drop (undefined) constrains nothing.
 */
export function paramsContain(params: unknown, filter: Record<string, unknown>): boolean {
  let wanted: JsonValue | undefined;
  let held: JsonValue | undefined;
  try {
    const normalizedFilter = normalize(filter);
    if (keyOf(normalizedFilter) === DEFAULT_PARAMS_KEY) return true;
    wanted = normalizedFilter?.value;
    held = normalize(params)?.value;
  } catch {
    // Params that cannot be keyed cannot be cached, so they match nothing.
    return false;
  }
  if (!isJsonObject(wanted) || !isJsonObject(held)) return false;
  const heldRecord = held;
  return Object.entries(wanted).every(
    ([key, value]) =>
      Object.hasOwn(heldRecord, key) && canonical(heldRecord[key] as JsonValue) === canonical(value),
  );
}

/**
 * A frozen, normalised deep copy of params for `meta.paramsSnapshot`. Default params (and params that are not
 * an object once normalised) give null.
 */
export function snapshotParams(params: unknown): Record<string, unknown> | null {
  const normalized = normalize(params);
  if (normalized === undefined || !isJsonObject(normalized.value)) return null;
  if (normalized.key === DEFAULT_PARAMS_KEY) return null;
  snapshots.set(normalized.value, normalized.key);
  return normalized.value;
}
