// SPEC §7 and §8's example (a shop and a todo list): the directive graph and the add-to-cart predictions.
import { type CollectionData, definePredictions } from '../../src/index';
import { defineDirectiveGraph, type InvalidationSets } from '../../src/server/index';

export const shopGraph = () =>
  defineDirectiveGraph({
    types: { product: { domain: 'product' } },
    collections: {
      cart: { reads: [{ domain: 'cart' }] },
      products: { reads: [{ domain: 'product' }] },
      todos: { reads: [{ domain: 'todo', keys: 'param:projectId' }] },
    },
    writes: {
      'cart/add': [
        { domain: 'cart', keys: null },
        { domain: 'product', keys: 'arg:productId' },
      ],
      'todo/create': [{ domain: 'todo', keys: 'arg:projectId' }],
      'todo/wipe': [{ domain: 'todo', keys: null }],
    },
  });

export interface AddToCart {
  productId: string;
  quantity: number;
}

/** The cart count is predictable from the input; the product list and stock wait for the server. */
export const addToCart = definePredictions<
  InvalidationSets<ReturnType<typeof shopGraph>>['cart/add'],
  AddToCart,
  { cart: CollectionData }
>({
  cart: (current, input) => ({
    ids: current?.ids ?? [],
    meta: current?.meta ?? null,
    count: (current?.count ?? 0) + input.quantity,
  }),
  products: 'await-truth',
  product: 'await-truth',
});
