// Contract: a hook's view starts its read when React subscribes (never during render), shows a new snapshot only
// when a field its component read changed (SPEC §6), and hands out one result per snapshot.
import { describe, expect, it } from 'vitest';
import { RefListView, RefView, type SnapshotSource, type ViewSnapshot } from '../../src/react/ref-view';
import { sameReads } from '../../src/react/tracked-result';

interface Meta {
  readonly status: string;
  readonly isFetching: boolean;
  readonly error: Error | null;
  readonly custom?: string;
}

type Snap = ViewSnapshot<{ readonly title: string }, Meta>;

const meta = (fields: Partial<Meta> = {}): Meta =>
  Object.freeze({ status: 'fresh', isFetching: false, error: null, ...fields });
/** One data object per title, as structural sharing keeps unchanged data. */
const titled = new Map<string, { readonly title: string }>();
const snap = (title: string | null, m: Meta = meta(), predicted?: { title: string }): Snap =>
  Object.freeze({
    data: title === null ? null : (titled.get(title) ?? titled.set(title, { title }).get(title)!),
    meta: m,
    predicted,
  });

const IDLE: Snap = snap(null, meta({ status: 'idle' }));

/** A ref stand-in whose snapshot the test replaces, telling its subscribers. */
function source(initial: Snap) {
  let current = initial;
  const listeners = new Set<() => void>();
  const ref: SnapshotSource<Snap> = {
    getSnapshot: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    ref,
    listeners,
    set(next: Snap): void {
      current = next;
      for (const listener of [...listeners]) listener();
    },
  };
}

type Ref = SnapshotSource<Snap> | null;
/** The read a view starts: here it returns the ref it is given, and counts how often it ran. */
const reads: Ref[] = [];
function readRef(ref: Ref, _label: string): Ref {
  reads.push(ref);
  return ref;
}

const newView = (cached: Snap | null = null) =>
  new RefView<{ readonly title: string }, Meta, readonly [Ref, string]>(readRef, 1, IDLE, cached);

/** A view reading `initial`'s ref, subscribed as React subscribes; `notified` counts the change notifications. */
function followed(initial: Snap) {
  const store = source(initial);
  const view = newView();
  let notified = 0;
  const unsubscribe = view.subscriber([store.ref, 'first'])(() => notified++);
  return { store, view, unsubscribe, notified: () => notified };
}

describe('RefView', () => {
  it('before anything is read, every new snapshot is shown', () => {
    const { store, view } = followed(snap('a'));
    const first = view.getSnapshot();
    store.set(snap('a', meta({ isFetching: true })));
    expect(view.getSnapshot()).not.toBe(first);
    expect(view.getSnapshot().meta.isFetching).toBe(true);
  });

  it('a component that read only data keeps its snapshot while only meta changes', () => {
    const { store, view } = followed(snap('a'));
    const shown = view.getSnapshot();
    expect(view.result(shown).data).toEqual({ title: 'a' });

    store.set(snap('a', meta({ isFetching: true })));
    expect(view.getSnapshot()).toBe(shown);

    const renamed = snap('b', meta({ isFetching: true }));
    store.set(renamed);
    expect(view.getSnapshot()).toBe(renamed);
  });

  it('a component that read meta.isFetching re-renders for it, and not for another meta field', () => {
    const { store, view } = followed(snap('a'));
    const shown = view.getSnapshot();
    expect(view.result(shown).meta.isFetching).toBe(false);

    store.set(snap('a', meta({ status: 'stale' })));
    expect(view.getSnapshot()).toBe(shown);

    const fetching = snap('a', meta({ status: 'stale', isFetching: true }));
    store.set(fetching);
    expect(view.getSnapshot()).toBe(fetching);
  });

  it('a read of a meta key outside the known fields compares the whole meta object', () => {
    const { store, view } = followed(snap('a'));
    const shown = view.getSnapshot();
    expect(view.result(shown).meta.custom).toBeUndefined();

    const same = snap('b', shown.meta);
    store.set(same);
    expect(view.getSnapshot()).toBe(shown);

    const other = snap('b', meta({ custom: 'x' }));
    store.set(other);
    expect(view.getSnapshot()).toBe(other);
  });

  it('a component that read predicted re-renders when the prediction changes', () => {
    const { store, view } = followed(snap('a'));
    const shown = view.getSnapshot();
    expect(view.result(shown).predicted).toBeUndefined();

    const guessed = snap('a', meta(), { title: 'guess' });
    store.set(guessed);
    expect(view.getSnapshot()).toBe(guessed);
  });

  it('one result per snapshot: the same object until the snapshot changes, and its meta proxy is kept', () => {
    const { store, view } = followed(snap('a'));
    const result = view.result(view.getSnapshot());
    expect(view.result(view.getSnapshot())).toBe(result);
    expect(result.data).toEqual({ title: 'a' });
    expect(result.meta).toBe(result.meta);
    expect(result.meta).toEqual(meta());

    store.set(snap('b'));
    expect(view.result(view.getSnapshot())).not.toBe(result);
  });

  it('reads nothing until subscribed: the cached snapshot first, then the ref, the placeholder without one', () => {
    reads.length = 0;
    const cached = snap('cached');
    const store = source(snap('fetched'));
    const view = newView(cached);
    const subscribe = view.subscriber([store.ref, 'a']);
    expect(view.getSnapshot()).toBe(cached);
    expect(reads).toEqual([]);

    subscribe(() => {});
    expect(reads).toEqual([store.ref]);
    expect(view.getSnapshot().data).toEqual({ title: 'fetched' });

    view.subscriber([null, 'a'])(() => {});
    expect(view.getSnapshot()).toBe(IDLE);
  });

  it('hands React the same subscribe while the compared arguments stay, a new one when they change', () => {
    const store = source(snap('a'));
    const view = newView();
    const first = view.subscriber([store.ref, 'a']);
    // Only the leading argument is compared here; the rest ride along (as params ride along their key).
    expect(view.subscriber([store.ref, 'b'])).toBe(first);
    expect(view.subscriber([source(snap('b')).ref, 'b'])).not.toBe(first);
  });

  it('holds one subscription on its ref while subscribed, and lets go on unsubscribe', () => {
    const { store, view, unsubscribe, notified } = followed(snap('a'));
    expect(store.listeners.size).toBe(1);
    store.set(snap('b'));
    expect(notified()).toBe(1);
    expect(view.getSnapshot().data).toEqual({ title: 'b' });

    unsubscribe();
    expect(store.listeners.size).toBe(0);
    store.set(snap('c'));
    expect(notified()).toBe(1);
  });
});

describe('RefListView', () => {
  it('keeps each unchanged element’s result; a changed element gets a new one', () => {
    const one = source(snap('1'));
    const two = source(snap('2'));
    const view = new RefListView<{ readonly title: string }, Meta, readonly [SnapshotSource<Snap>[]]>(
      (refs) => refs,
      1,
    );
    view.subscriber([[one.ref, two.ref]])(() => {});
    const before = view.results(view.getSnapshot());
    expect(before.map((result) => result.data?.title)).toEqual(['1', '2']);

    two.set(snap('2b'));
    const after = view.results(view.getSnapshot());
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(after[1]!.data).toEqual({ title: '2b' });
  });
});

describe('sameReads', () => {
  it('is true for one snapshot whatever was read, and false for two before anything was read', () => {
    const a = snap('a');
    expect(sameReads(0, a, a)).toBe(true);
    expect(sameReads(0, a, snap('a'))).toBe(false);
  });
});
