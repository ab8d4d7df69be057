// The directive graph of SPEC §7's example (a shop and a todo list), shared by the graph tests.
import { defineDirectiveGraph } from '../../src/server/index';

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
