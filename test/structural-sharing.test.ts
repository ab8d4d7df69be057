// Contract: a refetch keeps every unchanged object's identity (SPEC §6 structural sharing), as a pure function.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { shareStructure } from '../src/registry/structural-sharing';
import { withFakeClock } from './support/clock';
import { flush, makeRegistry } from './support/registry';

const json = fc.jsonValue({ maxDepth: 4 });

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** Every (path, previous subtree, result subtree) where both sides are objects or arrays. */
function* pairs(previous: unknown, result: unknown): Generator<[unknown, unknown]> {
  if (!isContainer(previous) || !isContainer(result)) return;
  if (Array.isArray(previous) !== Array.isArray(result)) return;
  yield [previous, result];
  for (const key of Object.keys(result)) {
    if (Object.hasOwn(previous, key)) {
      yield* pairs((previous as Record<string, unknown>)[key], (result as Record<string, unknown>)[key]);
    }
  }
}

/** Changes one leaf somewhere in a clone of `value` (or replaces it when it is a leaf). */
function mutateOne(value: unknown, path: readonly number[]): unknown {
  if (!isContainer(value)) return typeof value === 'number' ? value + 1 : ['changed', value];
  const keys = Object.keys(value);
  if (keys.length === 0 || path.length === 0)
    return Array.isArray(value) ? [...value, 'x'] : { ...value, x: 1 };
  const key = keys[path[0]! % keys.length]!;
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
  copy[key] = mutateOne((value as Record<string, unknown>)[key], path.slice(1));
  return copy;
}

describe('shareStructure', () => {
  test.prop([json, json])('the result deep-equals the new data', (previous, next) => {
    expect(shareStructure(previous, next)).toStrictEqual(next);
  });

  test.prop([json])('deep-equal new data returns the held data itself', (previous) => {
    const result = shareStructure(previous, structuredClone(previous));
    if (isContainer(previous)) expect(result).toBe(previous);
    else expect(result).toStrictEqual(previous);
  });

  test.prop([json, fc.array(fc.nat(), { maxLength: 5 })])(
    'every unchanged subtree is the held object; changed ones are new',
    (previous, path) => {
      const next = mutateOne(structuredClone(previous), path);
      const result = shareStructure(previous, next);
      expect(result).toStrictEqual(next);
      for (const [held, shared] of pairs(previous, result)) {
        const equal = JSON.stringify(held) === JSON.stringify(shared);
        if (equal) expect(shared).toBe(held);
        else expect(shared).not.toBe(held);
      }
    },
  );

  it('keeps own "__proto__" keys as data and takes non-plain objects from the new data', () => {
    const date = new Date(0);
    const next = JSON.parse('{"__proto__": {"polluted": true}, "at": 1}') as Record<string, unknown>;
    next.at = date;
    const result = shareStructure({ at: new Date(0) }, next) as Record<string, unknown>;
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(result.at).toBe(date);
  });

  it('a frozen new tree gives a frozen result', () => {
    const next = Object.freeze({ ids: Object.freeze([1, 2, 3]), count: 3 });
    const result = shareStructure({ ids: [1, 2], count: 2 }, next);
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.isFrozen(result.ids)).toBe(true);
  });
});

describe('refetches share structure', () => {
  withFakeClock();

  it('a refetch returning deep-equal data keeps data and every sub-object', async () => {
    const registry = makeRegistry();
    let title = 'a';
    registry.createType('todo', {
      fetch: async (id) => ({ id, title, tags: [{ name: 'x' }], owner: { name: 'ann' } }),
    });
    const ref = registry.fetchItem('todo', 1);
    await flush();
    const first = ref.data as { tags: unknown; owner: unknown };

    await ref.refresh();
    expect(ref.data).toBe(first);

    title = 'b';
    await ref.refresh();
    const second = ref.data as { title: string; tags: unknown; owner: unknown };
    expect(second).not.toBe(first);
    expect(second.title).toBe('b');
    expect(second.tags).toBe(first.tags);
    expect(second.owner).toBe(first.owner);
  });

  it('a collection refetch with the same ids keeps data, and a directive result keeps unchanged levels', async () => {
    const registry = makeRegistry({ bulk: { delayMs: 0 } });
    registry.createCollection('todos', { fetch: async () => ({ ids: [1, 2, 3], meta: { page: 1 } }) });
    registry.createType('todo', { fetch: async (id) => ({ id, profile: { a: 1 }, title: 't' }) });
    const list = registry.fetchCollection('todos');
    const item = registry.fetchItem('todo', 1);
    await flush();
    const heldList = list.data;
    const heldItem = item.data as { profile: unknown };

    const refreshed = list.refresh();
    await flush();
    await refreshed;
    expect(list.data).toBe(heldList);

    const applied = registry.applyDirectives([
      {
        op: 'refresh_item',
        name: 'todo',
        id: 1,
        result: { data: { id: '1', profile: { a: 1 }, title: 'u' } },
      },
    ]);
    await flush();
    await applied;
    expect((item.data as { title: string }).title).toBe('u');
    expect((item.data as { profile: unknown }).profile).toBe(heldItem.profile);
  });
});
