// defineDirectiveGraph (SPEC §7): derivation, refusals at definition, input errors, describe, verify, emitWrite.
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeDirectives } from '../../src/protocol/directive';
import {
  createDirectiveHub,
  type DirectiveHub,
  defineDirectiveGraph,
  respondWithDirectives,
  VerityError,
} from '../../src/server/index';
import { type HubServer, startHubServer } from '../support/server-harness';
import { shopGraph } from '../support/shop-graph';
import { openSse } from '../support/sse-client';

const shop = shopGraph;

function errorOf(run: () => unknown): VerityError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(VerityError);
    return error as VerityError;
  }
  throw new Error('expected a VerityError, nothing was thrown');
}

describe('derivation', () => {
  it("derives SPEC §7's example: collections, then items", () => {
    expect(shop().directivesFor('cart/add', { productId: 'p1', quantity: 2 })).toEqual([
      { op: 'refresh_collection', name: 'cart' },
      { op: 'refresh_collection', name: 'products' },
      { op: 'refresh_item', name: 'product', id: 'p1' },
    ]);
  });

  it("a keyed write on a 'param:' read derives a contains refresh of that param", () => {
    expect(shop().directivesFor('todo/create', { projectId: 7, title: 'secret' })).toEqual([
      { op: 'refresh_collection', name: 'todos', params: { projectId: 7 }, params_mode: 'contains' },
    ]);
  });

  it("an unkeyed write on a 'param:' read refreshes every param set", () => {
    expect(shop().directivesFor('todo/wipe', undefined)).toEqual([
      { op: 'refresh_collection', name: 'todos' },
    ]);
  });

  it('an array touches each key, sorted (numbers first) and without repeats', () => {
    expect(shop().directivesFor('cart/add', { productId: ['p2', 3, 'p1', 'p2', '3'] })).toEqual([
      { op: 'refresh_collection', name: 'cart' },
      { op: 'refresh_collection', name: 'products' },
      { op: 'refresh_item', name: 'product', id: 3 },
      { op: 'refresh_item', name: 'product', id: 'p1' },
      { op: 'refresh_item', name: 'product', id: 'p2' },
    ]);
  });

  it('an empty list touches no key of that domain', () => {
    expect(shop().directivesFor('todo/create', { projectId: [] })).toEqual([]);
  });

  it('a collection refreshed whole gets no keyed refresh besides', () => {
    const graph = defineDirectiveGraph({
      collections: { board: { reads: [{ domain: 'todo', keys: 'param:projectId' }, { domain: 'label' }] } },
      writes: {
        relabel: [
          { domain: 'todo', keys: 'arg:projectId' },
          { domain: 'label', keys: 'arg:labelId' },
        ],
      },
    });
    expect(graph.directivesFor('relabel', { projectId: 'p1', labelId: 'l1' })).toEqual([
      { op: 'refresh_collection', name: 'board' },
    ]);
  });

  it('two touches of one domain from two fields union their keys', () => {
    const graph = defineDirectiveGraph({
      collections: { todos: { reads: [{ domain: 'todo', keys: 'param:projectId' }] } },
      writes: {
        'todo/move': [
          { domain: 'todo', keys: 'arg:from' },
          { domain: 'todo', keys: 'arg:to' },
        ],
      },
    });
    expect(graph.directivesFor('todo/move', { from: 'b', to: 'a' })).toEqual([
      { op: 'refresh_collection', name: 'todos', params: { projectId: 'a' }, params_mode: 'contains' },
      { op: 'refresh_collection', name: 'todos', params: { projectId: 'b' }, params_mode: 'contains' },
    ]);
  });

  it("every derived directive is valid on the client's protocol", () => {
    const derived = shop().directivesFor('cart/add', { productId: ['p1', 2] });
    const { rejected } = normalizeDirectives(derived, { maxDirectivesPerBatch: 1000 });
    expect(rejected).toEqual([]);
  });
});

describe('refusals at definition', () => {
  it('an unkeyed write on a domain an item type reads', () => {
    const error = errorOf(() =>
      defineDirectiveGraph({
        types: { product: { domain: 'product' } },
        writes: { 'product/reprice-all': [{ domain: 'product', keys: null }] },
      }),
    );
    expect(error.code).toBe('INVALID_GRAPH');
    expect(error.message).toContain("write 'product/reprice-all'");
    expect(error.message).toContain("item type 'product'");
    expect(error.message).toContain("keys: 'arg:<id field>'");
  });

  it('a collection reading one domain twice', () => {
    const error = errorOf(() =>
      defineDirectiveGraph({
        collections: { cart: { reads: [{ domain: 'cart' }, { domain: 'cart', keys: 'param:userId' }] } },
        writes: { 'cart/add': [{ domain: 'cart' }] },
      }),
    );
    expect(error.message).toContain("collection 'cart' reads domain 'cart' twice");
  });

  it('a read of a domain no write touches (a typo)', () => {
    const error = errorOf(() =>
      defineDirectiveGraph({
        collections: { cart: { reads: [{ domain: 'crat' }] } },
        writes: { 'cart/add': [{ domain: 'cart' }] },
      }),
    );
    expect(error.code).toBe('INVALID_GRAPH');
    expect(error.message).toContain("collection 'cart' reads domain 'crat', which no write touches");
  });

  it('an item type of an unknown domain', () => {
    expect(
      errorOf(() =>
        defineDirectiveGraph({
          types: { product: { domain: 'prodcut' } },
          writes: { w: [{ domain: 'product' }] },
        }),
      ).message,
    ).toContain("type 'product' reads domain 'prodcut'");
  });

  it('keys that are neither null nor the right prefix', () => {
    const bad = { writes: { w: [{ domain: 'd', keys: 'param:x' }] } } as never;
    expect(errorOf(() => defineDirectiveGraph(bad)).message).toContain(
      `write 'w' touch 0 has keys "param:x"`,
    );
    const badRead = {
      collections: { c: { reads: [{ domain: 'd', keys: 'arg:x' }] } },
      writes: { w: [{ domain: 'd' }] },
    } as never;
    expect(errorOf(() => defineDirectiveGraph(badRead)).message).toContain(
      `collection 'c' read 0 has keys "arg:x"`,
    );
  });

  it('malformed declarations and __proto__ names', () => {
    expect(errorOf(() => defineDirectiveGraph(null as never)).code).toBe('INVALID_GRAPH');
    expect(errorOf(() => defineDirectiveGraph({} as never)).message).toContain('writes must be an object');
    expect(errorOf(() => defineDirectiveGraph({ writes: { w: 'd' } } as never)).message).toContain(
      "write 'w' must be a list",
    );
    expect(errorOf(() => defineDirectiveGraph({ writes: { w: [{ domain: '' }] } })).message).toContain(
      'domain',
    );
    const proto = JSON.parse('{"writes":{"w":[{"domain":"d","keys":"arg:__proto__"}]}}');
    expect(errorOf(() => defineDirectiveGraph(proto)).message).toContain('"__proto__"');
  });
});

describe('bad input names what is wrong', () => {
  it('an unknown write', () => {
    const error = errorOf(() => shop().directivesFor('cart/remove' as never, {}));
    expect(error.code).toBe('UNKNOWN_WRITE');
    expect(error.message).toContain('"cart/remove"');
  });

  it('a missing key field', () => {
    const error = errorOf(() => shop().directivesFor('cart/add', { quantity: 2 } as never));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain("input field 'productId'");
  });

  it('an inherited field is not a key field', () => {
    const graph = defineDirectiveGraph({
      collections: { c: { reads: [{ domain: 'd', keys: 'param:toString' }] } },
      writes: { w: [{ domain: 'd', keys: 'arg:toString' }] },
    });
    expect(errorOf(() => graph.directivesFor('w', {} as never)).message).toContain("input field 'toString'");
  });

  it.each([
    [{ productId: null }, 'null'],
    [{ productId: Number.NaN }, 'NaN'],
    [{ productId: { id: 'p1' } }, 'object'],
    [{ productId: ['p1', ['p2']] }, 'a list'],
    [{ productId: true }, 'boolean'],
  ])('a key field holding %j', (input, described) => {
    const error = errorOf(() => shop().directivesFor('cart/add', input as never));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(`Input field 'productId' of write 'cart/add'`);
    expect(error.message).toContain(`holds ${described}`);
  });

  it('an input that is not an object, for a keyed write', () => {
    expect(errorOf(() => shop().directivesFor('cart/add', 'p1' as never)).message).toContain('got string');
  });

  it('a key field is checked even where another touch covers its domain whole', () => {
    const graph = defineDirectiveGraph({
      collections: { c: { reads: [{ domain: 'd' }] } },
      writes: { w: [{ domain: 'd' }, { domain: 'd', keys: 'arg:id' }] },
    });
    expect(errorOf(() => graph.directivesFor('w', {} as never)).code).toBe('INVALID_INPUT');
  });
});

describe('describe()', () => {
  it('is a sorted document: reads, writes, and what each write invalidates', () => {
    expect(shop().describe()).toEqual({
      types: { product: { domain: 'product' } },
      collections: {
        cart: { reads: [{ domain: 'cart', keys: null }] },
        products: { reads: [{ domain: 'product', keys: null }] },
        todos: { reads: [{ domain: 'todo', keys: 'param:projectId' }] },
      },
      writes: {
        'cart/add': {
          touches: [
            { domain: 'cart', keys: null },
            { domain: 'product', keys: 'arg:productId' },
          ],
          invalidates: { collections: ['cart', 'products'], types: ['product'] },
        },
        'todo/create': {
          touches: [{ domain: 'todo', keys: 'arg:projectId' }],
          invalidates: { collections: ['todos'], types: [] },
        },
        'todo/wipe': {
          touches: [{ domain: 'todo', keys: null }],
          invalidates: { collections: ['todos'], types: [] },
        },
      },
    });
  });

  it('gives byte-equal JSON whatever order the declaration was written in', () => {
    const reordered = defineDirectiveGraph({
      writes: {
        'todo/wipe': [{ domain: 'todo', keys: null }],
        'todo/create': [{ domain: 'todo', keys: 'arg:projectId' }],
        'cart/add': [
          { domain: 'product', keys: 'arg:productId' },
          { domain: 'cart', keys: null },
        ],
      },
      collections: {
        todos: { reads: [{ domain: 'todo', keys: 'param:projectId' }] },
        products: { reads: [{ domain: 'product' }] },
        cart: { reads: [{ domain: 'cart' }] },
      },
      types: { product: { domain: 'product' } },
    });
    expect(JSON.stringify(reordered.describe(), null, 2)).toBe(JSON.stringify(shop().describe(), null, 2));
  });
});

describe('verify()', () => {
  it('an honest declaration leaves nothing over', () => {
    expect(
      shop().verify('cart/add', { productId: 'p1' }, [
        { domain: 'cart' },
        { domain: 'product', keys: ['p1'] },
      ]),
    ).toEqual([]);
  });

  it('returns undeclared domains, whole-domain touches of a keyed declaration, and undeclared keys', () => {
    expect(
      shop().verify('cart/add', { productId: ['p1', 42] }, [
        { domain: 'product', keys: ['p1', '42', 'p9'] },
        { domain: 'stock', keys: ['p1'] },
        { domain: 'audit' },
        { domain: 'cart', keys: ['anything'] },
      ]),
    ).toEqual([{ domain: 'product', keys: ['p9'] }, { domain: 'stock', keys: ['p1'] }, { domain: 'audit' }]);
    expect(shop().verify('todo/create', { projectId: 'a' }, [{ domain: 'todo' }])).toEqual([
      { domain: 'todo' },
    ]);
  });

  it('refuses observations that are not touches', () => {
    expect(errorOf(() => shop().verify('todo/wipe', null, 'todo' as never)).code).toBe('INVALID_INPUT');
    expect(
      errorOf(() => shop().verify('todo/wipe', null, [{ domain: 'todo', keys: [{}] }] as never)).message,
    ).toContain('observed[0].keys');
    expect(errorOf(() => shop().verify('nope' as never, null, [])).code).toBe('UNKNOWN_WRITE');
  });
});

describe('hub.emitWrite', () => {
  let hub: DirectiveHub;
  let server: HubServer;

  afterEach(async () => {
    await hub.close();
    await server.close();
  });

  it('emitWrite sends exactly the derived directives in one envelope, with the source', async () => {
    hub = createDirectiveHub();
    server = await startHubServer(hub);
    const sse = await openSse(server.url);
    await sse.reader.until((r) => r.frames.length >= 1, 'hello');
    const graph = shop();
    expect(await hub.emitWrite(graph, 'todo/create', { projectId: 'p1' }, { source: 'client-a' })).toEqual({
      seq: 1,
    });
    await sse.reader.until((r) => r.envelopes.length >= 1, 'envelope');
    expect(sse.reader.envelopes[0]!.body).toEqual({
      type: 'directives',
      seq: 1,
      audience: 'global',
      source: 'client-a',
      directives: graph.directivesFor('todo/create', { projectId: 'p1' }),
    });
    await expect(hub.emitWrite(graph, 'nope' as never, {})).rejects.toMatchObject({ code: 'UNKNOWN_WRITE' });
    sse.close();
  });
});

describe('respondWithDirectives', () => {
  it('takes the derived list', () => {
    const derived = shop().directivesFor('todo/create', { projectId: 'p1' });
    expect(respondWithDirectives({ ok: true }, derived)).toEqual({ ok: true, directives: derived });
  });
});
