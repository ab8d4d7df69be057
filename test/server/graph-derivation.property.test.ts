// Exact derivation (SPEC §7) over random graphs and inputs, checked against a model cache and the client's matching rules.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DerivedDirective,
  type DirectiveGraphDeclaration,
  defineDirectiveGraph,
  type GraphKey,
  type VerityError,
} from '../../src/server/index';

/** Runs of the main property; the closing note quotes this number. */
const DERIVATION_RUNS = 1000;

const DOMAINS = ['d0', 'd1', 'd2', 'd3'];
const FIELDS = ['f0', 'f1', 'f2'];
/** 1 and '1' are one item id but two params values: the model must tell them apart where the client does. */
const KEYS: GraphKey[] = ['a', 'b', 1, '1'];
/** The cache also holds entries no input names, as a real one does: without them a finite model makes directives look redundant. */
const CACHED_KEYS: GraphKey[] = [...KEYS, 'z'];
/** Values only in fields the write does not declare: none may reach the output. */
const SECRETS: GraphKey[] = ['secret-1', 'secret-2', 987_654];

type Write = { domain: string; keys: `arg:${string}` | null }[];
type Read = { domain: string; keys: `param:${string}` | null };

interface Case {
  declaration: {
    types: Record<string, { domain: string }>;
    collections: Record<string, { reads: Read[] }>;
    writes: Record<string, Write>;
  };
  write: string;
  input: Record<string, GraphKey | GraphKey[]>;
}

const touchArb = fc.record({
  domain: fc.constantFrom(...DOMAINS),
  keys: fc.option(fc.constantFrom(...FIELDS.map((field) => `arg:${field}` as const)), { nil: null }),
});

const writesArb = fc.uniqueArray(
  fc.tuple(fc.constantFrom('w0', 'w1', 'w2', 'w3'), fc.array(touchArb, { minLength: 1, maxLength: 3 })),
  {
    minLength: 1,
    maxLength: 4,
    selector: ([name]) => name,
  },
);

/** Item types may read `domains`; collections any touched domain (reads of untouched ones are refused). */
function readsArb(touched: string[], typeDomains: string[]) {
  const types =
    typeDomains.length === 0
      ? fc.constant([] as [string, { domain: string }][])
      : fc.uniqueArray(
          fc.tuple(
            fc.constantFrom('t0', 't1', 't2'),
            fc.constantFrom(...typeDomains).map((domain) => ({ domain })),
          ),
          {
            maxLength: 3,
            selector: ([name]) => name,
          },
        );
  const read = fc.record({
    domain: fc.constantFrom(...touched),
    keys: fc.option(fc.constantFrom(...FIELDS.map((field) => `param:${field}` as const)), { nil: null }),
  });
  const collections = fc.uniqueArray(
    fc.tuple(
      fc.constantFrom('c0', 'c1', 'c2'),
      fc.uniqueArray(read, { minLength: 1, maxLength: 3, selector: (r) => r.domain }),
    ),
    { maxLength: 3, selector: ([name]) => name },
  );
  return fc.tuple(types, collections);
}

const keyValueArb = fc.oneof(fc.constantFrom(...KEYS), fc.array(fc.constantFrom(...KEYS), { maxLength: 4 }));

const caseArb: fc.Arbitrary<Case> = writesArb.chain((writeEntries) => {
  const writes = Object.fromEntries(writeEntries);
  const all = writeEntries.flatMap(([, touches]) => touches);
  const touched = [...new Set(all.map((touch) => touch.domain))];
  const unkeyed = new Set(all.filter((touch) => touch.keys === null).map((touch) => touch.domain));
  return fc
    .record({
      reads: readsArb(
        touched,
        touched.filter((domain) => !unkeyed.has(domain)),
      ),
      write: fc.constantFrom(...writeEntries.map(([name]) => name)),
      keyed: fc.record(Object.fromEntries(FIELDS.map((field) => [field, keyValueArb]))),
      secrets: fc.record(Object.fromEntries(FIELDS.map((field) => [field, fc.constantFrom(...SECRETS)]))),
      note: fc.constantFrom(...SECRETS),
    })
    .map(({ reads: [types, collections], write, keyed, secrets, note }) => {
      const declared = new Set(writes[write]!.flatMap((touch) => (touch.keys ? [touch.keys.slice(4)] : [])));
      // Declared fields hold keys; the others hold secrets that must never show up in the output.
      const input: Record<string, GraphKey | GraphKey[]> = { note };
      for (const field of FIELDS) input[field] = declared.has(field) ? keyed[field]! : secrets[field]!;
      return {
        declaration: {
          types: Object.fromEntries(types),
          collections: Object.fromEntries(collections.map(([name, reads]) => [name, { reads }])),
          writes,
        },
        write,
        input,
      };
    });
});

// ---- the model: a cache holding every entry the graph's reads can name, and what each one reads ----

type Touch = 'all' | GraphKey[];

interface ModelEntry {
  kind: 'item' | 'collection';
  name: string;
  id?: string;
  params?: Record<string, GraphKey>;
  /** Does this entry's read set meet the touch set? */
  meets(touched: Map<string, Touch>): boolean;
}

function touchSet(c: Case): Map<string, Touch> {
  const touched = new Map<string, Touch>();
  for (const { domain, keys } of c.declaration.writes[c.write]!) {
    const before = touched.get(domain) ?? [];
    if (keys === null || before === 'all') touched.set(domain, 'all');
    else touched.set(domain, [...before, ...([] as GraphKey[]).concat(c.input[keys.slice(4)]!)]);
  }
  return touched;
}

function assignments(fields: string[]): Record<string, GraphKey>[] {
  return fields.reduce<Record<string, GraphKey>[]>(
    (partial, field) => partial.flatMap((params) => CACHED_KEYS.map((key) => ({ ...params, [field]: key }))),
    [{}],
  );
}

function modelCache(c: Case): ModelEntry[] {
  const entries: ModelEntry[] = [];
  for (const [name, { domain }] of Object.entries(c.declaration.types)) {
    for (const id of new Set(CACHED_KEYS.map(String))) {
      entries.push({
        kind: 'item',
        name,
        id,
        meets: (touched) => {
          const keys = touched.get(domain);
          return keys === 'all' || (keys ?? []).some((key) => String(key) === id);
        },
      });
    }
  }
  for (const [name, { reads }] of Object.entries(c.declaration.collections)) {
    const fields = [...new Set(reads.flatMap((read) => (read.keys ? [read.keys.slice(6)] : [])))];
    for (const params of assignments(fields)) {
      entries.push({
        kind: 'collection',
        name,
        params,
        meets: (touched) =>
          reads.some((read) => {
            const keys = touched.get(read.domain);
            if (keys === undefined) return false;
            if (keys === 'all') return true;
            if (read.keys === null) return keys.length > 0;
            return keys.includes(params[read.keys.slice(6)]!);
          }),
      });
    }
  }
  return entries;
}

/** The client's matching rules (SPEC §3): ids as strings, `contains` by deep-equal values. */
function matches(directive: DerivedDirective, entry: ModelEntry): boolean {
  if (directive.name !== entry.name) return false;
  if (directive.op === 'refresh_item') return entry.kind === 'item' && String(directive.id) === entry.id;
  if (entry.kind !== 'collection') return false;
  if (!directive.params) return true;
  return Object.entries(directive.params).every(([field, value]) => Object.is(entry.params![field], value));
}

function rank(directive: DerivedDirective): [number, string, string, GraphKey] {
  if (directive.op === 'refresh_item') return [1, directive.name, '', directive.id];
  const [field, key] = Object.entries(directive.params ?? {})[0] ?? ['', ''];
  return [0, directive.name, field, key];
}

function compareRank(a: DerivedDirective, b: DerivedDirective): number {
  const [ka, na, fa, va] = rank(a);
  const [kb, nb, fb, vb] = rank(b);
  if (ka !== kb) return ka - kb;
  if (na !== nb) return na < nb ? -1 : 1;
  if (fa !== fb) return fa < fb ? -1 : 1;
  if (typeof va !== typeof vb) return typeof va === 'number' ? -1 : 1;
  return va < vb ? -1 : va > vb ? 1 : 0;
}

function reversedCase(c: Case): Case {
  const reverse = <T>(record: Record<string, T>, inner: (value: T) => T): Record<string, T> =>
    Object.fromEntries(
      Object.entries(record)
        .reverse()
        .map(([key, value]) => [key, inner(value)]),
    );
  return {
    write: c.write,
    declaration: {
      types: reverse(c.declaration.types, (read) => read),
      collections: reverse(c.declaration.collections, ({ reads }) => ({ reads: [...reads].reverse() })),
      writes: reverse(c.declaration.writes, (touches) => [...touches].reverse()),
    },
    input: reverse(c.input, (value) => (Array.isArray(value) ? [...value].reverse() : value)),
  };
}

describe('derivation is exact over random graphs and inputs', () => {
  it('an entry is refreshed iff its read set meets the touch set; each directive is needed, sorted, secret-free', () => {
    let cases = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        cases++;
        const graph = defineDirectiveGraph(c.declaration as DirectiveGraphDeclaration);
        const derived = graph.directivesFor(c.write, c.input);
        const touched = touchSet(c);
        const cache = modelCache(c);

        for (const entry of cache) {
          const refreshed = derived.some((directive) => matches(directive, entry));
          expect(refreshed, `${entry.kind} ${entry.name} ${entry.id ?? JSON.stringify(entry.params)}`).toBe(
            entry.meets(touched),
          );
        }
        // Nothing else: every directive refreshes some entry that no other directive covers.
        for (const [index, directive] of derived.entries()) {
          const others = derived.filter((_, other) => other !== index);
          const own = cache.filter(
            (entry) => matches(directive, entry) && !others.some((o) => matches(o, entry)),
          );
          expect(own.length, `redundant ${JSON.stringify(directive)}`).toBeGreaterThan(0);
        }
        expect(derived).toEqual([...derived].sort(compareRank));
        // The order is the graph's, not the declaration's or the input's.
        expect(
          defineDirectiveGraph(reversedCase(c).declaration as DirectiveGraphDeclaration).directivesFor(
            c.write,
            reversedCase(c).input,
          ),
        ).toEqual(derived);
        const json = JSON.stringify(derived);
        for (const secret of SECRETS) expect(json).not.toContain(String(secret));
      }),
      { numRuns: DERIVATION_RUNS },
    );
    expect(cases).toBe(DERIVATION_RUNS);
  });

  it('a graph is refused at definition iff a write touches, unkeyed, a domain an item type reads', () => {
    const anyTypesArb = writesArb.chain((writeEntries) => {
      const touched = [
        ...new Set(writeEntries.flatMap(([, touches]) => touches.map((touch) => touch.domain))),
      ];
      return readsArb(touched, touched).map(([types]) => ({
        writes: Object.fromEntries(writeEntries),
        types: Object.fromEntries(types),
      }));
    });
    fc.assert(
      fc.property(anyTypesArb, ({ writes, types }) => {
        const typeDomains = new Set(Object.values(types).map((type) => type.domain));
        const conflict = Object.values(writes).some((touches) =>
          touches.some((touch) => touch.keys === null && typeDomains.has(touch.domain)),
        );
        let error: unknown = null;
        try {
          defineDirectiveGraph({ types, writes });
        } catch (thrown) {
          error = thrown;
        }
        expect(error === null).toBe(!conflict);
        if (conflict) expect((error as VerityError).code).toBe('INVALID_GRAPH');
      }),
      { numRuns: 500 },
    );
  });
});
