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

/**
 * Mirrors JSON.stringify's view of a value (toJSON, boxed primitives, dropped functions and symbols,
 * non-finite numbers as null) while producing a frozen tree that keeps every own key as data.
 * `undefined` means "JSON would drop this".
 */
function toJsonValue(
  input: unknown,
  holderKey: string,
  path: string[],
  ancestors: Set<object>,
): JsonValue | undefined {
  let value = input;
  if (typeof value === 'object' && value !== null && hasToJson(value)) value = value.toJSON(holderKey);
  if (typeof value === 'object' && value !== null) value = unwrapBoxed(value);

  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // -0 and 0 are one key, as JSON.stringify already says.
      return Number.isFinite(value) ? value + 0 : null;
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
  if (typeof value !== 'object' || value === null) return null;

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
      const source: readonly unknown[] = value;
      for (let index = 0; index < source.length; index++) {
        path.push(String(index));
        items.push(toJsonValue(source[index], String(index), path, ancestors) ?? null);
        path.pop();
      }
      return Object.freeze(items);
    }
    const record = value as Record<string, unknown>;
    const result: JsonObject = {};
    for (const key of Object.keys(record)) {
      path.push(key);
      const child = toJsonValue(record[key], key, path, ancestors);
      path.pop();
      if (child !== undefined) defineData(result, key, child);
    }
    return Object.freeze(result);
  } finally {
    ancestors.delete(value);
  }
}

function normalize(params: unknown): JsonValue | undefined {
  try {
    return toJsonValue(params, '', [], new Set());
  } catch (error) {
    if (error instanceof VerityError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new VerityError('INVALID_PARAMS', `Params could not be read (${detail}): ${PLAIN_DATA_HINT}.`, {
      cause: error,
    });
  }
}

function canonical(value: JsonValue): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as JsonObject;
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(record[key] as JsonValue)}`).join(',')}}`;
}

function isDefault(value: JsonValue | undefined): boolean {
  return value === undefined || value === null || (isJsonObject(value) && Object.keys(value).length === 0);
}

/** Snapshots this module made: already normalised and frozen, so keying one needs no second copy. */
const snapshots = new WeakSet<object>();

/** Stable JSON of params with object keys sorted at every depth; `{}`, `null` and `undefined` give DEFAULT_PARAMS_KEY. */
export function paramsKey(params: unknown): string {
  const value =
    typeof params === 'object' && params !== null && snapshots.has(params)
      ? (params as JsonObject)
      : normalize(params);
  return value === undefined || isDefault(value) ? DEFAULT_PARAMS_KEY : canonical(value);
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
    wanted = normalize(filter);
    if (isDefault(wanted)) return true;
    held = normalize(params);
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
  const value = normalize(params);
  if (!isJsonObject(value) || isDefault(value)) return null;
  snapshots.add(value);
  return value;
}
