// The fake server behind every fetcher a test registers: it records each call and answers it, at once or when told.
import type { Params } from '../../src/index';
import { deferred } from './deferred';

export type FetchCall =
  | { readonly kind: 'item'; readonly type: string; readonly id: string; readonly level: string }
  | { readonly kind: 'bulk'; readonly type: string; readonly level: string; readonly ids: readonly string[] }
  | { readonly kind: 'collection'; readonly name: string; readonly params: Params };

export interface ItemData {
  readonly id: string;
  readonly [level: string]: unknown;
}

export interface CollectionData {
  readonly ids: string[];
  readonly count: number;
  readonly meta: { readonly revision: string };
}

type Call<K extends FetchCall['kind']> = Extract<FetchCall, { kind: K }>;

/**
 * Every fetcher call is recorded; each response carries a fresh revision so a test can tell which fetch produced
 * the data it sees. `hold()` makes later calls wait until `release()`; `fail()` makes them reject.
 */
export class Backend {
  readonly calls: FetchCall[] = [];
  readonly signals: AbortSignal[] = [];
  #revision = 0;
  #holding = false;
  #held: Array<() => void> = [];
  #failing = false;

  /** Responses to calls made from now on wait for `release()`. */
  hold(): void {
    this.#holding = true;
  }

  /** Answers every held call (in call order) and stops holding. */
  release(): void {
    this.#holding = false;
    const held = this.#held;
    this.#held = [];
    for (const settle of held) settle();
  }

  /** Answers the oldest held call only; later calls keep waiting. */
  releaseNext(): void {
    this.#held.shift()?.();
  }

  get heldCount(): number {
    return this.#held.length;
  }

  /** Calls made from now on fail. */
  fail(failing = true): void {
    this.#failing = failing;
  }

  /** Forgets the calls made so far (answers still count revisions on). */
  reset(): void {
    this.calls.length = 0;
    this.signals.length = 0;
  }

  count(predicate: (call: FetchCall) => boolean = () => true): number {
    return this.calls.filter(predicate).length;
  }

  itemCalls(type?: string): Array<Call<'item'>> {
    return this.calls.filter(
      (call): call is Call<'item'> => call.kind === 'item' && (type === undefined || call.type === type),
    );
  }

  bulkCalls(type?: string): Array<Call<'bulk'>> {
    return this.calls.filter(
      (call): call is Call<'bulk'> => call.kind === 'bulk' && (type === undefined || call.type === type),
    );
  }

  collectionCalls(name?: string): Array<Call<'collection'>> {
    return this.calls.filter(
      (call): call is Call<'collection'> =>
        call.kind === 'collection' && (name === undefined || call.name === name),
    );
  }

  /** Every item a fetch or bulk fetch asked for, one string per item, as `type:id@level`. */
  itemRequests(): string[] {
    return this.calls.flatMap((call) => {
      if (call.kind === 'item') return [`${call.type}:${call.id}@${call.level}`];
      if (call.kind === 'bulk') return call.ids.map((id) => `${call.type}:${id}@${call.level}`);
      return [];
    });
  }

  /** A `fetch(id, level)` for a type: data `{ id, [level]: 'r<revision>' }`. */
  itemFetcher(type: string) {
    return (id: string, level: string, context: { signal: AbortSignal }): Promise<ItemData> => {
      this.calls.push({ kind: 'item', type, id, level });
      this.signals.push(context.signal);
      return this.#answer(() => ({ id, [level]: `r${++this.#revision}` }));
    };
  }

  /** A `bulkFetch(ids, level)` for a type, answering every id as an array of objects with `id`. */
  bulkFetcher(type: string) {
    return (ids: string[], level: string, context: { signal: AbortSignal }): Promise<ItemData[]> => {
      this.calls.push({ kind: 'bulk', type, level, ids: [...ids] });
      this.signals.push(context.signal);
      return this.#answer(() => ids.map((id) => ({ id, [level]: `r${++this.#revision}` })));
    };
  }

  /** A collection `fetch(params)`: `{ ids, count, meta: { revision } }`. */
  collectionFetcher(name: string, ids: readonly string[] = ['1', '2']) {
    return (params: Params, context: { signal: AbortSignal }): Promise<CollectionData> => {
      this.calls.push({ kind: 'collection', name, params });
      this.signals.push(context.signal);
      return this.#answer(() => ({
        ids: [...ids],
        count: ids.length,
        meta: { revision: `r${++this.#revision}` },
      }));
    };
  }

  /** The answer is made when it is given, so a held call gets the revision current at its release. */
  #answer<T>(make: () => T): Promise<T> {
    const failing = this.#failing;
    const answer = (): Promise<T> =>
      failing ? Promise.reject(new Error('backend down')) : Promise.resolve(make());
    if (!this.#holding) return answer();
    const gate = deferred<void>();
    this.#held.push(() => gate.resolve());
    return gate.promise.then(answer);
  }
}
