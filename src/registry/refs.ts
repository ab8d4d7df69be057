// The live references reads return: thin views over a shared entry (refs are cheap; entries are shared).
import type { AnyActorRef } from 'xstate';
import type { Entry } from './entry';
import type { EntryCache } from './entry-cache';
import { addListener, type Listeners, notifyListeners, removeListener } from './listeners';
import type { CollectionRef, CollectionSnapshot, ItemRef, ItemSnapshot, Params } from './types';

/** What a ref asks of the cache its entry lives in: refresh, remove, read other params. */
type RefCache = Pick<EntryCache, 'refreshItem' | 'refreshCollection' | 'remove' | 'readCollection'>;

export class ItemRefImpl<TData> implements ItemRef<TData> {
  readonly #cache: RefCache;
  readonly #entry: Entry;
  readonly level: string;

  constructor(cache: RefCache, entry: Entry, level: string) {
    this.#cache = cache;
    this.#entry = entry;
    this.level = level;
  }

  get type(): string {
    return this.#entry.owner.name;
  }

  get id(): string {
    return this.#entry.key;
  }

  get data(): TData | null {
    return this.getSnapshot().data;
  }

  get meta(): ItemSnapshot<TData>['meta'] {
    return this.getSnapshot().meta;
  }

  get predicted(): TData | undefined {
    return this.getSnapshot().predicted;
  }

  get state(): ItemRef<TData>['state'] {
    const { data, meta } = this.getSnapshot();
    return { loading: meta.isLoading, error: meta.error, value: data };
  }

  get actor(): AnyActorRef {
    return this.#entry.pin();
  }

  getSnapshot(): ItemSnapshot<TData> {
    return this.#entry.view() as unknown as ItemSnapshot<TData>;
  }

  subscribe(listener: () => void): () => void {
    return this.#entry.subscribe(listener);
  }

  refresh(): Promise<void> {
    return this.#cache.refreshItem(this.#entry, this.level);
  }

  remove(): void {
    this.#cache.remove(this.#entry);
  }
}

export class CollectionRefImpl<TMeta> implements CollectionRef<TMeta> {
  readonly #cache: RefCache;
  #entry: Entry;
  #listeners: Listeners = null;
  #unsubscribe: (() => void) | null = null;

  constructor(cache: RefCache, entry: Entry) {
    this.#cache = cache;
    this.#entry = entry;
  }

  get name(): string {
    return this.#entry.owner.name;
  }

  get data(): CollectionSnapshot<TMeta>['data'] {
    return this.getSnapshot().data;
  }

  get meta(): CollectionSnapshot<TMeta>['meta'] {
    return this.getSnapshot().meta;
  }

  get predicted(): CollectionSnapshot<TMeta>['predicted'] {
    return this.getSnapshot().predicted;
  }

  get state(): CollectionRef<TMeta>['state'] {
    const { data, meta } = this.getSnapshot();
    return { loading: meta.isLoading, error: meta.error, items: data.ids, meta: data.meta };
  }

  get actor(): AnyActorRef {
    return this.#entry.pin();
  }

  getSnapshot(): CollectionSnapshot<TMeta> {
    return this.#entry.view() as unknown as CollectionSnapshot<TMeta>;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners = addListener(this.#listeners, listener);
    this.#unsubscribe ??= this.#entry.subscribe(() => this.#notify());
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#listeners = removeListener(this.#listeners, listener);
      if (!this.#listeners) {
        this.#unsubscribe?.();
        this.#unsubscribe = null;
      }
    };
  }

  refresh(): Promise<void> {
    return this.#cache.refreshCollection(this.#entry);
  }

  remove(): void {
    this.#cache.remove(this.#entry);
  }

  setParams(params: Params | null | undefined): void {
    const next = this.#cache.readCollection(this.name, params);
    if (next === this.#entry) return;
    // Subscribers follow the ref to its new param set; the old entry's late responses stay with it.
    const hadSubscription = this.#unsubscribe !== null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#entry = next;
    if (hadSubscription) this.#unsubscribe = next.subscribe(() => this.#notify());
    this.#notify();
  }

  #notify(): void {
    notifyListeners(this.#listeners);
  }
}
