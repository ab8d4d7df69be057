// The types of a declared directive graph (SPEC §7): declarations, derived directives, and the type-level derivations.

/** A key a write touches or a read is keyed by: the wire's item ids and params values. */
export type GraphKey = string | number;

/** `product: { domain: 'product' }`: item `product` id k reads domain `product`, key k. */
export interface TypeRead {
  readonly domain: string;
}

/** One domain a collection reads: the whole domain, or keyed by one of the collection's params fields. */
export interface CollectionRead {
  readonly domain: string;
  readonly keys?: `param:${string}` | null;
}

/** One domain a write touches: the whole domain (`null`), or the keys in one field of the write's input. */
export interface WriteTouch {
  readonly domain: string;
  readonly keys?: `arg:${string}` | null;
}

export interface DirectiveGraphDeclaration {
  readonly types?: { readonly [type: string]: TypeRead };
  readonly collections?: { readonly [collection: string]: { readonly reads: readonly CollectionRead[] } };
  readonly writes: { readonly [write: string]: readonly WriteTouch[] };
}

/** A directive the graph derives; a type alias (not an interface) so it is assignable to the hub's `Directive`. */
export type DerivedDirective =
  | {
      readonly op: 'refresh_collection';
      readonly name: string;
      readonly params?: { readonly [field: string]: GraphKey };
      readonly params_mode?: 'contains';
    }
  | { readonly op: 'refresh_item'; readonly name: string; readonly id: GraphKey };

/** A touch seen at run time (e.g. by a query logger): `keys` omitted means the whole domain. */
export interface ObservedTouch {
  readonly domain: string;
  readonly keys?: readonly GraphKey[];
}

/** `describe()`: every object's keys and every list sorted, so equal graphs give byte-equal JSON. */
export interface GraphDescription {
  readonly types: { readonly [type: string]: { readonly domain: string } };
  readonly collections: {
    readonly [collection: string]: {
      readonly reads: readonly { readonly domain: string; readonly keys: string | null }[];
    };
  };
  readonly writes: {
    readonly [write: string]: {
      readonly touches: readonly { readonly domain: string; readonly keys: string | null }[];
      readonly invalidates: { readonly collections: readonly string[]; readonly types: readonly string[] };
    };
  };
}

export type WriteName<D extends DirectiveGraphDeclaration> = keyof D['writes'] & string;

type TouchesOf<D extends DirectiveGraphDeclaration, W extends WriteName<D>> = D['writes'][W][number];

type ArgField<T> = T extends { readonly keys: `arg:${infer F}` } ? F : never;

/** The input fields a write's keyed touches read. */
export type ArgFields<D extends DirectiveGraphDeclaration, W extends WriteName<D>> = ArgField<
  TouchesOf<D, W>
>;

/** What `directivesFor(write, input)` needs: every `arg:` field, holding a key or a list of keys. */
export type WriteInput<D extends DirectiveGraphDeclaration, W extends WriteName<D>> = [
  ArgFields<D, W>,
] extends [never]
  ? unknown
  : { readonly [F in ArgFields<D, W>]: GraphKey | readonly GraphKey[] };

type TouchedDomains<D extends DirectiveGraphDeclaration, W extends WriteName<D>> = TouchesOf<D, W>['domain'];

type TypesReading<Types, Domain> = Types extends { readonly [type: string]: TypeRead }
  ? { [T in keyof Types & string]: Types[T]['domain'] extends Domain ? T : never }[keyof Types & string]
  : never;

type CollectionsReading<Collections, Domain> = Collections extends {
  readonly [collection: string]: { readonly reads: readonly CollectionRead[] };
}
  ? {
      [C in keyof Collections & string]: [
        Extract<Collections[C]['reads'][number]['domain'], Domain>,
      ] extends [never]
        ? never
        : C;
    }[keyof Collections & string]
  : never;

/** The type and collection names one write can invalidate. */
export type InvalidatedNames<D extends DirectiveGraphDeclaration, W extends WriteName<D>> =
  | TypesReading<D['types'], TouchedDomains<D, W>>
  | CollectionsReading<D['collections'], TouchedDomains<D, W>>;

export interface DirectiveGraph<D extends DirectiveGraphDeclaration = DirectiveGraphDeclaration> {
  /** The declaration as given; it also carries the graph's types. */
  readonly declaration: D;
  /** The directives `write` needs for `input`; a `VerityError` for an unknown write or a missing or bad key. */
  directivesFor<W extends WriteName<D>, I extends WriteInput<D, W>>(write: W, input: I): DerivedDirective[];
  describe(): GraphDescription;
  /** The observed touches the declaration does not cover for `write` with `input` (empty when it is honest). */
  verify<W extends WriteName<D>, I extends WriteInput<D, W>>(
    write: W,
    input: I,
    observed: readonly ObservedTouch[],
  ): ObservedTouch[];
}

/** `InvalidationSets<typeof graph>['cart/add']` = the union of names `cart/add` can invalidate. */
export type InvalidationSets<G> =
  G extends DirectiveGraph<infer D> ? { [W in WriteName<D>]: InvalidatedNames<D, W> } : never;
