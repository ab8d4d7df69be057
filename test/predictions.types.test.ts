// Compile-time contract of predictions (SPEC §8): exhaustive per invalidation set; checked by `npm run typecheck`.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type CollectionData, definePredictions, type Predictions, VerityError } from '../src/index';
import type { InvalidationSets } from '../src/server/index';
import { type AddToCart, addToCart, type shopGraph } from './support/shop-graph';

type Sets = InvalidationSets<ReturnType<typeof shopGraph>>;

describe('definePredictions types', () => {
  it("takes a transform or 'await-truth' for every name of the write's invalidation set", () => {
    expectTypeOf(addToCart).toEqualTypeOf<Predictions<'cart' | 'products' | 'product', AddToCart>>();
    expectTypeOf(addToCart.names).toEqualTypeOf<readonly ('cart' | 'products' | 'product')[]>();
  });

  it('a missing name is a type error', () => {
    // @ts-expect-error 'product' has no entry: a forgotten prediction, not a decision
    definePredictions<Sets['cart/add'], AddToCart>({ cart: 'await-truth', products: 'await-truth' });
  });

  it('an extra name is a type error', () => {
    definePredictions<Sets['todo/create'], AddToCart>({
      todos: 'await-truth',
      // @ts-expect-error 'todo/create' does not invalidate 'cart'
      cart: 'await-truth',
    });
  });

  it('transforms are typed by the input and, when given, by the truth', () => {
    definePredictions<'cart', AddToCart, { cart: CollectionData }>({
      cart: (current, input) => {
        expectTypeOf(current).toEqualTypeOf<CollectionData | null>();
        expectTypeOf(input).toEqualTypeOf<AddToCart>();
        return { ids: [], meta: null, count: input.quantity };
      },
    });
    definePredictions<'cart', AddToCart, { cart: CollectionData }>({
      // @ts-expect-error the prediction must have the truth's shape
      cart: () => ({ count: 'many' }),
    });
    // Only a transform or the recorded decision: anything else fails at compile time and at run time.
    // @ts-expect-error 'await-fragment' is not a decision this library knows
    expect(() => definePredictions<'cart', AddToCart>({ cart: 'await-fragment' })).toThrow(VerityError);
  });

  it('mutate takes predictions with the matching input', () => {
    type Mutate = import('../src/index').Registry['mutate'];
    const call = (mutate: Mutate) => {
      void mutate('/api/cart', {}, { predict: addToCart, input: { productId: 'p1', quantity: 1 } });
      // @ts-expect-error the input lacks quantity
      void mutate('/api/cart', {}, { predict: addToCart, input: { productId: 'p1' } });
    };
    expectTypeOf(call).toBeFunction();
  });
});
