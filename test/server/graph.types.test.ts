// Compile-time contract of the directive graph (SPEC §7): checked by `npm run typecheck`, which covers test/.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createDirectiveHub,
  type DerivedDirective,
  type Directive,
  defineDirectiveGraph,
  type InvalidationSets,
  respondWithDirectives,
  VerityError,
} from '../../src/server/index';
import { shopGraph } from '../support/shop-graph';

const graph = shopGraph();

interface AddToCartInput {
  productId: string;
  quantity: number;
}

describe('directive graph types', () => {
  it('directivesFor takes declared writes only', () => {
    expectTypeOf(graph.directivesFor('cart/add', { productId: 'p1', quantity: 2 })).toEqualTypeOf<
      DerivedDirective[]
    >();
    // Each refused call also fails at run time, for callers without types.
    // @ts-expect-error an undeclared write
    expect(() => graph.directivesFor('unknown/write', { productId: 'p1' })).toThrow(VerityError);
    expectTypeOf(graph.directivesFor).parameter(0).toEqualTypeOf<'cart/add' | 'todo/create' | 'todo/wipe'>();
  });

  it("an input without the write's arg: field is a type error", () => {
    const input: AddToCartInput = { productId: 'p1', quantity: 2 };
    graph.directivesFor('cart/add', input);
    graph.directivesFor('cart/add', { productId: ['p1', 2] });
    // @ts-expect-error productId is the field 'arg:productId' reads
    expect(() => graph.directivesFor('cart/add', { quantity: 2 })).toThrow(VerityError);
    // @ts-expect-error a key is a string or a number
    expect(() => graph.directivesFor('cart/add', { productId: { id: 'p1' } })).toThrow(VerityError);
    const lacking: { quantity: number } = { quantity: 2 };
    // @ts-expect-error an input type that lacks the field
    expect(() => graph.directivesFor('todo/create', lacking)).toThrow(VerityError);
    // An unkeyed write needs no particular input.
    graph.directivesFor('todo/wipe', undefined);
  });

  it('InvalidationSets maps each write to the names it can invalidate', () => {
    type Sets = InvalidationSets<typeof graph>;
    expectTypeOf<Sets['cart/add']>().toEqualTypeOf<'cart' | 'products' | 'product'>();
    expectTypeOf<Sets['todo/create']>().toEqualTypeOf<'todos'>();
    expectTypeOf<Sets['todo/wipe']>().toEqualTypeOf<'todos'>();
    expectTypeOf<keyof Sets>().toEqualTypeOf<'cart/add' | 'todo/create' | 'todo/wipe'>();
  });

  it('the hub and respondWithDirectives take the derived list and the same write names', async () => {
    expectTypeOf<DerivedDirective>().toExtend<Directive>();
    respondWithDirectives({ ok: true }, graph.directivesFor('todo/wipe', null));
    const hub = createDirectiveHub();
    expectTypeOf(
      hub.emitWrite(graph, 'todo/create', { projectId: 'p1', title: 'x' }, { source: 'c1' }),
    ).resolves.toEqualTypeOf<{ seq: number }>();
    // @ts-expect-error an undeclared write
    await expect(hub.emitWrite(graph, 'todo/delete', { projectId: 'p1' })).rejects.toThrow(VerityError);
    // @ts-expect-error the input lacks projectId
    await expect(hub.emitWrite(graph, 'todo/create', { title: 'x' })).rejects.toThrow(VerityError);
    await hub.close();
  });

  it("a read's keys must be 'param:' and a write's 'arg:'", () => {
    expect(() =>
      defineDirectiveGraph({
        // @ts-expect-error a collection read is keyed by a params field
        collections: { c: { reads: [{ domain: 'd', keys: 'arg:x' }] } },
        writes: { w: [{ domain: 'd' }] },
      }),
    ).toThrow(VerityError);
    expect(() =>
      // @ts-expect-error a write's keys are an input field
      defineDirectiveGraph({ writes: { w: [{ domain: 'd', keys: 'param:x' }] } }),
    ).toThrow(VerityError);
  });
});
