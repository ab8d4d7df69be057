// Checking a directive graph declaration once, at definition, and compiling it into per-domain indexes.
import { VerityError } from '../protocol/errors';
import type { DirectiveGraphDeclaration, GraphKey } from './graph-types';

/** A read or touch after checking: `field` is the params or input field, null for the whole domain. */
export interface CompiledTouch {
  readonly domain: string;
  readonly field: string | null;
}

export interface CompiledCollectionRead extends CompiledTouch {
  readonly collection: string;
}

export interface CompiledGraph {
  /** Item type names per domain, sorted. */
  readonly typesByDomain: ReadonlyMap<string, readonly string[]>;
  readonly collectionReadsByDomain: ReadonlyMap<string, readonly CompiledCollectionRead[]>;
  readonly writes: ReadonlyMap<string, readonly CompiledTouch[]>;
  readonly types: ReadonlyMap<string, string>;
  readonly collections: ReadonlyMap<string, readonly CompiledTouch[]>;
}

const invalid = (message: string): VerityError =>
  new VerityError('INVALID_GRAPH', `defineDirectiveGraph: ${message}`);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `__proto__` would become a prototype, not a key, in the params and description objects built from names. */
function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${what} must be a non-empty string.`);
  if (value === '__proto__') throw invalid(`${what} may not be "__proto__".`);
  return value;
}

function ownEntries(value: unknown, what: string): [string, unknown][] {
  if (value === undefined) return [];
  if (!isRecord(value)) throw invalid(`${what} must be an object keyed by name.`);
  return Object.entries(value);
}

function keyField(keys: unknown, prefix: 'arg:' | 'param:', where: string): string | null {
  if (keys === undefined || keys === null) return null;
  if (typeof keys !== 'string' || !keys.startsWith(prefix) || keys.length === prefix.length) {
    throw invalid(`${where} has keys ${JSON.stringify(keys)}: use null or '${prefix}<field>'.`);
  }
  return checkName(keys.slice(prefix.length), `${where}: the field in '${keys}'`);
}

function compileWrites(declaration: Record<string, unknown>): Map<string, CompiledTouch[]> {
  if (!isRecord(declaration.writes)) throw invalid('writes must be an object keyed by write name.');
  const writes = new Map<string, CompiledTouch[]>();
  for (const [name, touches] of Object.entries(declaration.writes)) {
    checkName(name, 'a write name');
    if (!Array.isArray(touches)) throw invalid(`write '${name}' must be a list of touches.`);
    writes.set(
      name,
      touches.map((touch, index) => {
        const where = `write '${name}' touch ${index}`;
        if (!isRecord(touch)) throw invalid(`${where} must be { domain, keys }.`);
        return {
          domain: checkName(touch.domain, `${where}: domain`),
          field: keyField(touch.keys, 'arg:', where),
        };
      }),
    );
  }
  return writes;
}

/** A read must name a domain some write touches: anything else is a typo that would never be invalidated. */
function checkKnownDomain(domain: string, touched: ReadonlySet<string>, where: string): void {
  if (!touched.has(domain)) {
    throw invalid(
      `${where} reads domain '${domain}', which no write touches: check the spelling, or declare the write that changes it.`,
    );
  }
}

export function compileGraph(declaration: DirectiveGraphDeclaration): CompiledGraph {
  if (!isRecord(declaration)) throw invalid('pass { types?, collections?, writes }.');
  const writes = compileWrites(declaration);
  const touched = new Set([...writes.values()].flatMap((touches) => touches.map((touch) => touch.domain)));

  const types = new Map<string, string>();
  const typesByDomain = new Map<string, string[]>();
  for (const [name, read] of ownEntries(declaration.types, 'types')) {
    checkName(name, 'a type name');
    if (!isRecord(read)) throw invalid(`type '${name}' must be { domain }.`);
    const domain = checkName(read.domain, `type '${name}': domain`);
    checkKnownDomain(domain, touched, `type '${name}'`);
    types.set(name, domain);
    typesByDomain.set(domain, [...(typesByDomain.get(domain) ?? []), name].sort(compareText));
  }

  const collections = new Map<string, CompiledTouch[]>();
  const collectionReadsByDomain = new Map<string, CompiledCollectionRead[]>();
  for (const [name, declared] of ownEntries(declaration.collections, 'collections')) {
    checkName(name, 'a collection name');
    if (!isRecord(declared) || !Array.isArray(declared.reads)) {
      throw invalid(`collection '${name}' must be { reads: [{ domain, keys? }] }.`);
    }
    const reads: CompiledTouch[] = [];
    for (const [index, read] of declared.reads.entries()) {
      const where = `collection '${name}' read ${index}`;
      if (!isRecord(read)) throw invalid(`${where} must be { domain, keys? }.`);
      const domain = checkName(read.domain, `${where}: domain`);
      if (reads.some((earlier) => earlier.domain === domain)) {
        throw invalid(`collection '${name}' reads domain '${domain}' twice: declare each domain once.`);
      }
      checkKnownDomain(domain, touched, `collection '${name}'`);
      const compiled = { domain, field: keyField(read.keys, 'param:', where) };
      reads.push(compiled);
      collectionReadsByDomain.set(domain, [
        ...(collectionReadsByDomain.get(domain) ?? []),
        { ...compiled, collection: name },
      ]);
    }
    collections.set(name, reads);
  }

  for (const [name, touches] of writes) {
    for (const touch of touches) {
      const readers = typesByDomain.get(touch.domain);
      if (touch.field === null && readers) {
        throw invalid(
          `write '${name}' touches the whole domain '${touch.domain}', which item type '${readers[0]}' reads: key the write ({ domain: '${touch.domain}', keys: 'arg:<id field>' }); the wire has no "every item of a type" directive.`,
        );
      }
    }
  }
  return { typesByDomain, collectionReadsByDomain, writes, types, collections };
}

/** Code-unit order: the same on every machine and locale, unlike localeCompare. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Numbers (ascending) before strings (code-unit order). */
export function compareKeys(a: GraphKey, b: GraphKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return compareText(a, b);
}
