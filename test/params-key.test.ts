// Contract of params keys, `contains` matching and params snapshots (SPEC §3 "Params keys").
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { VerityError } from '../src/protocol/errors';
import {
  DEFAULT_PARAMS_KEY,
  isPlainObject,
  paramsContain,
  paramsKey,
  snapshotParams,
} from '../src/registry/params-key';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Defines rather than assigns, so a "__proto__" key stays data, as JSON.parse makes it. */
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Rebuilds a value with every object's keys in reverse order, at every depth. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse())
    define(out, key, reverseKeys((value as Record<string, unknown>)[key]));
  return out;
}

/** Reference equality of JSON values ignoring key order (numbers compare as JSON does: -0 equals 0). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]))
    );
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every(
        (k) =>
          Object.hasOwn(b, k) &&
          jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return a === b;
}

const jsonObject = fc.dictionary(fc.string(), fc.jsonValue()) as fc.Arbitrary<Record<string, Json>>;

/** A copy of `base` with `entries` defined on top ("__proto__" included, as data). */
function withEntries(base: object, entries: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(entries)) define(out, key, entries[key]);
  return out;
}

function objectOf(keys: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  return withEntries({}, Object.fromEntries(keys.map((key, i) => [key, values[i]])));
}

/** Two objects with the same non-empty key set, whose values often coincide. */
const sameKeys = fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 4 }).chain((keys) => {
  const values = fc.array(fc.oneof(fc.constantFrom(1, 'a', null, [1], { x: 1 }), fc.jsonValue()), {
    minLength: keys.length,
    maxLength: keys.length,
  });
  return fc.tuple(values, values).map(([va, vb]) => [objectOf(keys, va), objectOf(keys, vb)] as const);
});

describe('paramsKey', () => {
  it('gives the default key for {}, null and undefined', () => {
    expect(DEFAULT_PARAMS_KEY).toBe('{}');
    expect(paramsKey({})).toBe(DEFAULT_PARAMS_KEY);
    expect(paramsKey(null)).toBe(DEFAULT_PARAMS_KEY);
    expect(paramsKey(undefined)).toBe(DEFAULT_PARAMS_KEY);
  });

  it('sorts object keys at every depth', () => {
    expect(paramsKey({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 2 } })).toBe(
      '{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}',
    );
  });

  it('sorts integer-like keys as strings, like every other key', () => {
    expect(paramsKey({ b: 1, 10: 2, 9: 3 })).toBe('{"10":2,"9":3,"b":1}');
  });

  it('drops undefined fields, functions and symbols as JSON does', () => {
    expect(paramsKey({ a: 1, b: undefined, c: () => 1, d: Symbol('x') })).toBe('{"a":1}');
    expect(paramsKey({ a: undefined })).toBe(DEFAULT_PARAMS_KEY);
  });

  it('keeps array order and turns undefined in arrays into null', () => {
    expect(paramsKey({ a: [3, undefined, 1, () => 0] })).toBe('{"a":[3,null,1,null]}');
  });

  it('turns non-finite numbers into null and -0 into 0', () => {
    expect(paramsKey({ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: -0 })).toBe(
      '{"a":null,"b":null,"c":0}',
    );
  });

  it('honours toJSON, so a Date is keyed by its ISO string', () => {
    const date = new Date('2024-01-02T03:04:05.000Z');
    expect(paramsKey({ since: date })).toBe('{"since":"2024-01-02T03:04:05.000Z"}');
    expect(paramsKey({ a: { toJSON: () => ({ z: 1, y: 2 }) } })).toBe('{"a":{"y":2,"z":1}}');
  });

  it('unwraps boxed primitives as JSON does', () => {
    expect(paramsKey({ a: Object(1), b: Object('x'), c: Object(true) })).toBe('{"a":1,"b":"x","c":true}');
  });

  it('treats own "__proto__" and "constructor" keys as ordinary data', () => {
    const params = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":1}}');
    expect(paramsKey(params)).toBe('{"__proto__":{"polluted":true},"constructor":{"prototype":1}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps shared (non-circular) references', () => {
    const shared = { x: 1 };
    expect(paramsKey({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it('rejects circular params with an INVALID_PARAMS error saying what to do', () => {
    const params: Record<string, unknown> = { a: 1 };
    params.self = params;
    expect(() => paramsKey(params)).toThrowError(VerityError);
    try {
      paramsKey(params);
    } catch (error) {
      expect((error as VerityError).code).toBe('INVALID_PARAMS');
      expect((error as VerityError).message).toMatch(
        /circular reference at params\["self"\].*pass plain JSON/,
      );
    }
  });

  it('rejects BigInt with an INVALID_PARAMS error', () => {
    expect(() => paramsKey({ a: { b: 1n } })).toThrowError(/BigInt at params\["a"\]\["b"\]/);
    expect(() => paramsKey({ a: 1n })).toThrowError(expect.objectContaining({ code: 'INVALID_PARAMS' }));
  });

  it('turns a throwing getter into an INVALID_PARAMS error', () => {
    const params = {
      get a(): number {
        throw new Error('nope');
      },
    };
    expect(() => paramsKey(params)).toThrowError(expect.objectContaining({ code: 'INVALID_PARAMS' }));
  });

  test.prop([jsonObject])('is independent of key order at every depth', (params) => {
    expect(paramsKey(reverseKeys(params))).toBe(paramsKey(params));
  });

  test.prop([jsonObject, fc.dictionary(fc.string(), fc.constant(undefined))])(
    'drops undefined fields wherever they are added',
    (params, extra) => {
      const withUndefined = withEntries(extra, params);
      expect(paramsKey(withUndefined)).toBe(paramsKey(params));
    },
  );

  test.prop([fc.anything()])('is stable: the same input (or a clone) gives the same key', (value) => {
    let key: string;
    try {
      key = paramsKey(value);
    } catch (error) {
      expect(error).toBeInstanceOf(VerityError);
      return;
    }
    expect(paramsKey(value)).toBe(key);
    expect(typeof key).toBe('string');
  });

  test.prop([jsonObject, jsonObject])('gives equal keys exactly for JSON-equal objects', (a, b) => {
    expect(paramsKey(a) === paramsKey(b)).toBe(jsonEqual(a, b));
  });

  test.prop([jsonObject])(
    'is the JSON of the params with keys sorted (as strings) at every depth',
    (params) => {
      // Written out by hand: JSON.stringify puts integer-like keys first, whatever order they were defined in.
      const sortedJson = (value: unknown): string => {
        if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
        if (typeof value !== 'object' || value === null) return JSON.stringify(value);
        const record = value as Record<string, unknown>;
        const fields = Object.keys(record)
          .sort()
          .map((key) => `${JSON.stringify(key)}:${sortedJson(record[key])}`);
        return `{${fields.join(',')}}`;
      };
      expect(paramsKey(params)).toBe(sortedJson(params));
    },
  );

  test.prop([jsonObject])('gives a key that parses back to the same JSON value', (params) => {
    const parsed = JSON.parse(paramsKey(params));
    expect(jsonEqual(parsed, params)).toBe(true);
  });

  test.prop([jsonObject])('never pollutes Object.prototype, whatever the keys', (params) => {
    const hostile = JSON.parse(`{"__proto__":${JSON.stringify(params)},"constructor":{"prototype":{"x":1}}}`);
    paramsKey(hostile);
    snapshotParams(hostile);
    paramsContain(hostile, hostile);
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('isPlainObject', () => {
  it('accepts objects whose prototype is Object.prototype or null', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    expect(isPlainObject(JSON.parse('{"__proto__":{}}'))).toBe(true);
  });

  it('refuses arrays, class instances, primitives and null', () => {
    class Params {}
    for (const value of [[], new Params(), new Date(), new Map(), null, undefined, 1, 'x', () => ({})]) {
      expect(isPlainObject(value)).toBe(false);
    }
  });

  it('refuses a proxy that throws when asked for its prototype', () => {
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('no');
        },
      },
    );
    expect(isPlainObject(hostile)).toBe(false);
  });
});

describe('paramsContain', () => {
  it('matches when every filter key is in params with a deep-equal value', () => {
    const params = { status: 'active', owner: { id: 1, team: 'a' }, tags: ['x', 'y'] };
    expect(paramsContain(params, { status: 'active' })).toBe(true);
    expect(paramsContain(params, { owner: { team: 'a', id: 1 } })).toBe(true);
    expect(paramsContain(params, { status: 'active', tags: ['x', 'y'] })).toBe(true);
  });

  it('does not match a different value, a missing key or a partial nested object', () => {
    const params = { status: 'active', owner: { id: 1, team: 'a' } };
    expect(paramsContain(params, { status: 'paused' })).toBe(false);
    expect(paramsContain(params, { page: 1 })).toBe(false);
    expect(paramsContain(params, { owner: { id: 1 } })).toBe(false);
  });

  it('matches everything with an empty filter, default params included', () => {
    expect(paramsContain({ a: 1 }, {})).toBe(true);
    expect(paramsContain(null, {})).toBe(true);
    expect(paramsContain(undefined, {})).toBe(true);
  });

  it('does not match a non-empty filter against default params', () => {
    expect(paramsContain(null, { a: 1 })).toBe(false);
    expect(paramsContain({}, { a: 1 })).toBe(false);
  });

  it('reads only own keys of params, never the prototype', () => {
    expect(paramsContain({}, { toString: Object.prototype.toString })).toBe(true);
    expect(paramsContain({}, { constructor: 'Object' })).toBe(false);
    expect(paramsContain(JSON.parse('{"constructor":"Object"}'), { constructor: 'Object' })).toBe(true);
  });

  it('compares values as paramsKey does (key order, dropped undefined)', () => {
    expect(paramsContain({ a: { x: 1, y: undefined } }, { a: { x: 1 } })).toBe(true);
    expect(paramsContain({ a: 1 }, { a: 1, b: undefined })).toBe(true);
  });

  it('matches nothing when params cannot be keyed', () => {
    const params: Record<string, unknown> = {};
    params.self = params;
    expect(paramsContain(params, { a: 1 })).toBe(false);
  });

  test.prop([jsonObject])('is reflexive', (params) => {
    expect(paramsContain(params, params)).toBe(true);
    expect(paramsContain(reverseKeys(params), params)).toBe(true);
  });

  test.prop([jsonObject, fc.func(fc.boolean())])(
    'matches any filter that is a subset of params',
    (params, pick) => {
      const picked = Object.keys(params).filter((key) => pick(key));
      const filter = objectOf(
        picked,
        picked.map((key) => params[key]),
      );
      expect(paramsContain(params, filter)).toBe(true);
    },
  );

  test.prop([jsonObject, jsonObject])(
    'is monotone: a filter that matches still matches params with more keys',
    (filter, extra) => {
      const params = withEntries(extra, filter);
      expect(paramsContain(params, filter)).toBe(true);
    },
  );

  test.prop([sameKeys])('agrees with paramsKey when filter and params have the same keys', ([a, b]) => {
    expect(paramsContain(a, b)).toBe(paramsKey(a) === paramsKey(b));
  });
});

describe('snapshotParams', () => {
  it('is null for default params', () => {
    expect(snapshotParams(undefined)).toBeNull();
    expect(snapshotParams(null)).toBeNull();
    expect(snapshotParams({})).toBeNull();
    expect(snapshotParams({ a: undefined })).toBeNull();
  });

  it('is a frozen deep copy, normalised like the key', () => {
    const params = { b: [1, { c: undefined, d: new Date(0) }], a: 'x' };
    const snapshot = snapshotParams(params) ?? {};
    expect(snapshot).toEqual({ a: 'x', b: [1, { d: '1970-01-01T00:00:00.000Z' }] });
    const list = snapshot.b as unknown[];
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(Object.isFrozen(list)).toBe(true);
    expect(Object.isFrozen(list[1])).toBe(true);
    params.a = 'changed';
    expect(snapshot.a).toBe('x');
  });

  it('keeps an own "__proto__" key as data of an ordinary object', () => {
    const snapshot = snapshotParams(JSON.parse('{"__proto__":{"x":1}}'));
    expect(Object.getPrototypeOf(snapshot)).toBe(Object.prototype);
    expect(Object.hasOwn(snapshot ?? {}, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  test.prop([jsonObject])('has the same key as the params it was taken from', (params) => {
    expect(paramsKey(snapshotParams(params))).toBe(paramsKey(params));
  });
});
