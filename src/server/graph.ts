// defineDirectiveGraph (SPEC §7): the directives a write needs, derived from where its touches meet the declared reads.
import { VerityError } from '../protocol/errors';
import { type CompiledGraph, compareKeys, compareText, compileGraph } from './graph-declaration';
import type {
  DerivedDirective,
  DirectiveGraph,
  DirectiveGraphDeclaration,
  GraphDescription,
  GraphKey,
  ObservedTouch,
} from './graph-types';

/** The keys one write touches in one domain, or every key (`'all'`). */
type Touched = 'all' | GraphKey[];

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return String(value);
  return typeof value;
}

function isKey(value: unknown): value is GraphKey {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/** The keys in `input[field]`: a key or a list of keys; anything else names the write and the field. */
function readKeys(write: string, input: unknown, field: string): GraphKey[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new VerityError(
      'INVALID_INPUT',
      `Write '${write}' needs an input object with field '${field}' (its touches declare 'arg:${field}'), got ${describeValue(input)}.`,
    );
  }
  if (!Object.hasOwn(input, field)) {
    throw new VerityError(
      'INVALID_INPUT',
      `Write '${write}' needs input field '${field}' (declared as 'arg:${field}'), but the input has none.`,
    );
  }
  const value: unknown = (input as Record<string, unknown>)[field];
  const keys: unknown[] = Array.isArray(value) ? value : [value];
  for (const key of keys) {
    if (!isKey(key)) {
      throw new VerityError(
        'INVALID_INPUT',
        `Input field '${field}' of write '${write}' must be a string, a finite number or a list of them; it holds ${describeValue(key)}.`,
      );
    }
  }
  return keys as GraphKey[];
}

function touchesFor(graph: CompiledGraph, write: unknown, input: unknown): Map<string, Touched> {
  const touches = typeof write === 'string' ? graph.writes.get(write) : undefined;
  if (touches === undefined) {
    throw new VerityError(
      'UNKNOWN_WRITE',
      `Write ${JSON.stringify(write)} is not declared in this directive graph: add it to writes, or check the name.`,
    );
  }
  const touched = new Map<string, Touched>();
  for (const { domain, field } of touches) {
    // Every keyed field is read, even in a domain another touch already covers whole: bad input is never silent.
    const keys: Touched = field === null ? 'all' : readKeys(write as string, input, field);
    const before = touched.get(domain) ?? [];
    touched.set(domain, keys === 'all' || before === 'all' ? 'all' : [...before, ...keys]);
  }
  return touched;
}

/**
 * Sorted, without repeats; `tag` decides what a repeat is (ids compare as strings, params values do not). Sorting
 * first keeps the same representative (the number of 1 and '1') whatever order the input listed them in.
 */
function sortedUnique(keys: readonly GraphKey[], tag: (key: GraphKey) => string): GraphKey[] {
  const unique = new Map<string, GraphKey>();
  for (const key of [...keys].sort(compareKeys)) if (!unique.has(tag(key))) unique.set(tag(key), key);
  return [...unique.values()];
}

const idTag = (key: GraphKey): string => String(key);
const paramTag = (key: GraphKey): string => `${typeof key}:${String(key)}`;

interface CollectionHits {
  whole: boolean;
  /** params field → keys */
  keyed: Map<string, GraphKey[]>;
}

function derive(graph: CompiledGraph, touched: ReadonlyMap<string, Touched>): DerivedDirective[] {
  const collections = new Map<string, CollectionHits>();
  const items = new Map<string, GraphKey[]>();
  for (const [domain, keys] of touched) {
    // An empty list of keys touches nothing, not even a read of the whole domain.
    if (keys !== 'all' && keys.length === 0) continue;
    for (const read of graph.collectionReadsByDomain.get(domain) ?? []) {
      let hits = collections.get(read.collection);
      if (!hits) collections.set(read.collection, (hits = { whole: false, keyed: new Map() }));
      if (keys === 'all' || read.field === null) hits.whole = true;
      else hits.keyed.set(read.field, [...(hits.keyed.get(read.field) ?? []), ...keys]);
    }
    // compileGraph refused unkeyed writes on item domains, so `keys` is a list here.
    if (keys === 'all') continue;
    for (const type of graph.typesByDomain.get(domain) ?? [])
      items.set(type, [...(items.get(type) ?? []), ...keys]);
  }

  const directives: DerivedDirective[] = [];
  for (const name of [...collections.keys()].sort(compareText)) {
    const hits = collections.get(name)!;
    // A refresh of every param set already covers each keyed one: emitting those too would not be exact.
    if (hits.whole) {
      directives.push({ op: 'refresh_collection', name });
      continue;
    }
    for (const field of [...hits.keyed.keys()].sort(compareText)) {
      for (const key of sortedUnique(hits.keyed.get(field)!, paramTag)) {
        directives.push({
          op: 'refresh_collection',
          name,
          params: { [field]: key },
          params_mode: 'contains',
        });
      }
    }
  }
  for (const name of [...items.keys()].sort(compareText)) {
    for (const id of sortedUnique(items.get(name)!, idTag)) directives.push({ op: 'refresh_item', name, id });
  }
  return directives;
}

function keysText(field: string | null, prefix: string): string | null {
  return field === null ? null : `${prefix}${field}`;
}

function byDomainThenKeys(
  a: { domain: string; keys: string | null },
  b: { domain: string; keys: string | null },
): number {
  return compareText(a.domain, b.domain) || compareText(a.keys ?? '', b.keys ?? '');
}

function describeGraph(graph: CompiledGraph): GraphDescription {
  const types: Record<string, { domain: string }> = {};
  for (const name of [...graph.types.keys()].sort(compareText))
    types[name] = { domain: graph.types.get(name)! };

  const collections: Record<string, { reads: { domain: string; keys: string | null }[] }> = {};
  for (const name of [...graph.collections.keys()].sort(compareText)) {
    const reads = graph.collections
      .get(name)!
      .map(({ domain, field }) => ({ domain, keys: keysText(field, 'param:') }))
      .sort(byDomainThenKeys);
    collections[name] = { reads };
  }

  const writes: Record<string, GraphDescription['writes'][string]> = {};
  for (const name of [...graph.writes.keys()].sort(compareText)) {
    const declared = graph.writes.get(name)!;
    const touches = declared.map(({ domain, field }) => ({ domain, keys: keysText(field, 'arg:') }));
    const unique = new Map(touches.map((touch) => [JSON.stringify([touch.domain, touch.keys]), touch]));
    const domains = new Set(declared.map((touch) => touch.domain));
    const invalidatedCollections = new Set<string>();
    const invalidatedTypes = new Set<string>();
    for (const domain of domains) {
      for (const read of graph.collectionReadsByDomain.get(domain) ?? [])
        invalidatedCollections.add(read.collection);
      for (const type of graph.typesByDomain.get(domain) ?? []) invalidatedTypes.add(type);
    }
    writes[name] = {
      touches: [...unique.values()].sort(byDomainThenKeys),
      invalidates: {
        collections: [...invalidatedCollections].sort(compareText),
        types: [...invalidatedTypes].sort(compareText),
      },
    };
  }
  return { types, collections, writes };
}

function checkObserved(observed: unknown): readonly ObservedTouch[] {
  const bad = (why: string): VerityError =>
    new VerityError('INVALID_INPUT', `verify(write, input, observed): ${why}`);
  if (!Array.isArray(observed)) throw bad('observed must be a list of { domain, keys? }.');
  for (const [index, touch] of observed.entries()) {
    if (typeof touch !== 'object' || touch === null || typeof touch.domain !== 'string') {
      throw bad(`observed[${index}] must be { domain: string, keys?: (string | number)[] }.`);
    }
    if (touch.keys !== undefined && (!Array.isArray(touch.keys) || !touch.keys.every(isKey))) {
      throw bad(`observed[${index}].keys must be a list of strings and finite numbers, or omitted.`);
    }
  }
  return observed;
}

/** Observed keys are compared as strings, as item ids are: a database id 42 is the declared key '42'. */
function undeclared(
  touched: ReadonlyMap<string, Touched>,
  observed: readonly ObservedTouch[],
): ObservedTouch[] {
  const found: ObservedTouch[] = [];
  for (const touch of observed) {
    const declared = touched.get(touch.domain);
    if (declared === 'all') continue;
    if (declared === undefined || touch.keys === undefined) {
      found.push(
        touch.keys === undefined ? { domain: touch.domain } : { domain: touch.domain, keys: [...touch.keys] },
      );
      continue;
    }
    const allowed = new Set(declared.map(String));
    const missing = touch.keys.filter((key) => !allowed.has(String(key)));
    if (missing.length > 0) found.push({ domain: touch.domain, keys: missing });
  }
  return found;
}

/**
 * Declares what each read depends on and what each write touches; checks the declaration at once (a `VerityError`
 * naming the first problem) and derives, per write and input, exactly the directives whose reads the write meets.
 */
export function defineDirectiveGraph<const D extends DirectiveGraphDeclaration>(
  declaration: D,
): DirectiveGraph<D> {
  const graph = compileGraph(declaration);
  return {
    declaration,
    directivesFor: (write, input) => derive(graph, touchesFor(graph, write, input)),
    describe: () => describeGraph(graph),
    verify: (write, input, observed) => undeclared(touchesFor(graph, write, input), checkObserved(observed)),
  };
}
