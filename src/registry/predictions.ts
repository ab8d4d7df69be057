// Predictions (SPEC §8): guesses shown beside server truth while a mutation is pending, never in `data`.
import { VerityError } from '../protocol/errors';
import { deepEqual } from './deep-equal';
import type { Entry } from './entry';
import { type EntryView, predictedView } from './entry-view';
import { entryDetail, type Lifecycle, type Logger } from './lifecycle';

/** A recorded decision that a name shows only truth while the mutation is pending (not an omission). */
export type AwaitTruth = 'await-truth';

/** `(current, input) => next`: what the server will say for one entry, from the truth held and the input. */
export type PredictionTransform<Input, Truth = unknown> = (current: Truth | null, input: Input) => Truth;

type TruthOf<Data, N> = N extends keyof Data ? Data[N] : unknown;

/** One entry per name of the write's invalidation set: a transform or `'await-truth'`; no name missing or extra. */
export type PredictionTransforms<Names extends string, Input, Data = Record<Names, unknown>> = {
  readonly [N in Names]: PredictionTransform<Input, TruthOf<Data, N>> | AwaitTruth;
};

/** A transform as stored: any truth type fits (`never` in), so predictions for different names share one map. */
export type StoredTransform<Input> = (current: never, input: Input) => unknown;

/** What `definePredictions` returns, for `mutate(input, init, { predict, input })`. */
export interface Predictions<Names extends string = string, Input = unknown> {
  readonly names: readonly Names[];
  readonly transforms: { readonly [N in Names]: StoredTransform<Input> | AwaitTruth };
}

export interface MutateOptions<Input = unknown> {
  predict?: Predictions<string, Input>;
  input?: Input;
}

const defined = new WeakSet<object>();

/**
 * Checks a transforms object once; TypeScript already requires an entry per name of `Names` (e.g.
 * `InvalidationSets<typeof graph>['cart/add']`) and refuses extra ones. `Data` optionally types each name's truth.
 */
export function definePredictions<Names extends string, Input, Data = Record<Names, unknown>>(
  transforms: PredictionTransforms<Names, Input, Data>,
): Predictions<Names, Input> {
  if (typeof transforms !== 'object' || transforms === null || Array.isArray(transforms)) {
    throw new VerityError(
      'INVALID_OPTIONS',
      "definePredictions(transforms) needs an object: { [name]: (current, input) => next | 'await-truth' }.",
    );
  }
  for (const [name, transform] of Object.entries(transforms)) {
    if (typeof transform !== 'function' && transform !== 'await-truth') {
      throw new VerityError(
        'INVALID_OPTIONS',
        `definePredictions: '${name}' must be a transform (current, input) => next or 'await-truth'.`,
      );
    }
  }
  const predictions = Object.freeze({
    names: Object.freeze(Object.keys(transforms)) as readonly Names[],
    transforms: Object.freeze({ ...transforms }),
  });
  defined.add(predictions);
  return predictions;
}

type Transform = (current: unknown, input: unknown) => unknown;

interface Pending {
  readonly mutation: number;
  readonly transforms: ReadonlyMap<string, Transform>;
  readonly input: unknown;
  /** Set when the response arrives: the truth each entry held then, and the value predicted over it. */
  responded: { truth: Map<Entry, unknown>; expected: Map<Entry, unknown> } | null;
}

/** No prediction for this entry (distinct from a prediction of `undefined` or `null`). */
const NONE: unique symbol = Symbol('no prediction');

/**
 * The pending predictions of one registry, in the order their mutations started. A prediction is computed when
 * an entry's view is, from the truth it holds then, so new truth rebases every pending prediction over it.
 */
export class PredictionBook {
  readonly #lifecycle: Lifecycle;
  readonly #logger: Logger;
  readonly #entriesNamed: (name: string) => Iterable<Entry>;
  #pending: Pending[] = [];
  #next = 0;

  /** `entriesNamed`: the cached entries of the type and the collection with this name. */
  constructor(lifecycle: Lifecycle, logger: Logger, entriesNamed: (name: string) => Iterable<Entry>) {
    this.#lifecycle = lifecycle;
    this.#logger = logger;
    this.#entriesNamed = entriesNamed;
  }

  /**
   * Runs one mutation with its predictions: shown from now, rebased when `run` calls `responded` (its response
   * is in, its directives about to apply), checked against the truth when it settles, withdrawn if it fails.
   */
  async during<T>(
    options: MutateOptions | undefined,
    run: (responded: () => void) => Promise<T>,
  ): Promise<T> {
    const pending = this.#start(options);
    if (!pending) return run(() => {});
    try {
      const result = await run(() => this.#responded(pending));
      this.#settle(pending);
      return result;
    } catch (error) {
      this.#drop(pending, error);
      throw error;
    }
  }

  /** Checks the options before the request goes out; `null` when nothing is predicted. */
  #start(options: MutateOptions | undefined): Pending | null {
    if (options?.predict === undefined) return null;
    if (!defined.has(options.predict)) {
      throw new VerityError(
        'INVALID_OPTIONS',
        'mutate(input, init, { predict }): predict must come from definePredictions(...).',
      );
    }
    const transforms = new Map<string, Transform>();
    for (const name of options.predict.names) {
      const transform = options.predict.transforms[name];
      if (typeof transform === 'function') transforms.set(name, transform as Transform);
    }
    const pending: Pending = { mutation: ++this.#next, transforms, input: options.input, responded: null };
    this.#pending.push(pending);
    this.#repaint(pending);
    return pending;
  }

  /**
   * The response is in and its directives are about to apply: record what was predicted over the truth held now.
   * From here on, truth that arrives for an entry is taken to include this mutation, so it is not applied again.
   */
  #responded(pending: Pending): void {
    if (pending.responded) return;
    const truth = new Map<Entry, unknown>();
    const expected = new Map<Entry, unknown>();
    for (const entry of this.#entriesOf(pending)) {
      const predicted = this.#predict(entry, entry.view().data, pending);
      if (predicted === NONE) continue;
      truth.set(entry, entry.view().data);
      expected.set(entry, predicted);
    }
    pending.responded = { truth, expected };
  }

  /** The mutation's directives have settled: compare truth with what was predicted, then stop predicting. */
  #settle(pending: Pending): void {
    this.#responded(pending);
    this.#end(pending);
    for (const [entry, predicted] of pending.responded!.expected) {
      if (entry.removed) continue;
      const truth = entry.view().data;
      const detail = { mutation: pending.mutation, ...entryDetail(entry), predicted };
      if (deepEqual(truth, predicted)) this.#lifecycle.emit('prediction:confirm', detail);
      else this.#lifecycle.emit('prediction:correct', { ...detail, truth });
    }
  }

  /** The mutation failed: its guesses are withdrawn, whatever they were. */
  #drop(pending: Pending, error: unknown): void {
    const shown = new Map<Entry, unknown>();
    for (const entry of this.#entriesOf(pending)) {
      const predicted = entry.view().predicted;
      if (entry.view().meta.isPredicted === true) shown.set(entry, predicted);
    }
    this.#end(pending);
    const reason = error instanceof Error ? error.message : String(error);
    for (const [entry, predicted] of shown) {
      this.#lifecycle.emit('prediction:drop', {
        mutation: pending.mutation,
        ...entryDetail(entry),
        predicted,
        reason,
        error,
      });
    }
  }

  /** Adds `predicted` and `meta.isPredicted` to an entry's view; the view is returned as is when nothing is pending. */
  overlay(entry: Entry, view: EntryView): EntryView {
    if (this.#pending.length === 0) return view;
    const predicted = this.#predict(entry, view.data, null);
    if (predicted === NONE) return view;
    return predictedView(view, predicted);
  }

  clear(): void {
    this.#pending = [];
  }

  /** Every pending transform for this entry's name, in start order, up to `through` (all when null). */
  #predict(entry: Entry, truth: unknown, through: Pending | null): unknown {
    let value: unknown = truth;
    let predicted = false;
    for (const pending of this.#pending) {
      const transform = pending.transforms.get(entry.owner.name);
      if (transform && this.#appliesTo(pending, entry, truth)) {
        const next = this.#apply(transform, value, pending, entry);
        if (next !== NONE) {
          value = next;
          predicted = true;
        }
      }
      if (pending === through) break;
    }
    return predicted ? value : NONE;
  }

  /** After the response, only the truth held then still lacks this mutation's effect. */
  #appliesTo(pending: Pending, entry: Entry, truth: unknown): boolean {
    const responded = pending.responded;
    return responded === null || (responded.truth.has(entry) && responded.truth.get(entry) === truth);
  }

  /** Transforms get a copy: one that edits `current` in place must not reach the truth in `data`. */
  #apply(transform: Transform, value: unknown, pending: Pending, entry: Entry): unknown {
    try {
      return transform(
        value === null || typeof value !== 'object' ? value : structuredClone(value),
        pending.input,
      );
    } catch (error) {
      this.#logger.log('warn', `A prediction for '${entry.owner.name}' threw; showing truth only.`, error);
      return NONE;
    }
  }

  #end(pending: Pending): void {
    this.#pending = this.#pending.filter((other) => other !== pending);
    this.#repaint(pending);
  }

  #entriesOf(pending: Pending): Entry[] {
    return [...pending.transforms.keys()].flatMap((name) => [...this.#entriesNamed(name)]);
  }

  #repaint(pending: Pending): void {
    for (const entry of this.#entriesOf(pending)) entry.repaint();
  }
}
