// Performs the fetches entries decide on and hands each answer straight back to its entry; reports fetch events.
import { type EntryEmitted, type EntryEvent, levelOf } from '../machines/entry.machine';
import { toError, VerityError } from '../protocol/errors';
import { itemIdKey } from '../protocol/id';
import type { Entry } from './entry';
import { entryDetail, type Lifecycle } from './lifecycle';
import { type CollectionOwner, type Owner, stampAnswer, type TypeOwner } from './owners';
import { isPlainObject } from './params-key';
import type { LifecycleEventName } from './types';

type FetchStrategy = 'single' | 'bulk' | 'fallback';

type FetchPhase = 'intent' | 'success' | 'error' | 'complete' | 'skip' | 'coalesced' | 'aborted';

/** Event names spelled out once, so an emit builds no string to find its listeners. */
const FETCH_EVENTS: Record<'item' | 'collection', Record<FetchPhase, LifecycleEventName>> = {
  item: {
    intent: 'item:fetch:intent',
    success: 'item:fetch:success',
    error: 'item:fetch:error',
    complete: 'item:fetch:complete',
    skip: 'item:fetch:skip',
    coalesced: 'item:fetch:coalesced',
    aborted: 'item:fetch:aborted',
  },
  collection: {
    intent: 'collection:fetch:intent',
    success: 'collection:fetch:success',
    error: 'collection:fetch:error',
    complete: 'collection:fetch:complete',
    skip: 'collection:fetch:skip',
    coalesced: 'collection:fetch:coalesced',
    aborted: 'collection:fetch:aborted',
  },
};

interface BulkMember {
  readonly entry: Entry;
  readonly qid: number;
}

export class FetchRunner {
  readonly #lifecycle: Lifecycle;
  readonly #maxBatchSize: number;
  readonly #bulkQueued: () => void;
  /** Bulk requests waiting for the coordinator's window, by type then level. */
  #pending = new Map<TypeOwner, Map<string, BulkMember[]>>();

  /** `bulkQueued` is told of each bulk request queued: the coordinator's window must open. */
  constructor(lifecycle: Lifecycle, maxBatchSize: number, bulkQueued: () => void) {
    this.#lifecycle = lifecycle;
    this.#maxBatchSize = maxBatchSize;
    this.#bulkQueued = bulkQueued;
  }

  get hasPending(): boolean {
    return this.#pending.size > 0;
  }

  /** Performs what an entry decided: starts a fetch, aborts a superseded one, and reports each decision. */
  perform(entry: Entry, event: EntryEmitted): void {
    switch (event.type) {
      case 'fetchStarted': {
        this.#emit(entry, 'intent', event.level, {
          qid: String(event.qid),
          loud: event.loud,
          trailing: event.trailing,
        });
        const owner = entry.owner as Owner;
        if (owner.kind === 'collection') this.#collection(owner, entry, event.qid);
        else this.#item(owner, entry, event.level, event.qid);
        return;
      }
      case 'fetchCoalesced':
        this.#emit(entry, 'coalesced', event.level, {
          qid: String(event.qid),
          queued: event.queued,
          mode: event.mode,
        });
        return;
      case 'fetchSkipped':
        this.#emit(entry, 'skip', event.level, { reason: event.reason });
        return;
      case 'fetchSuperseded':
        entry.cancel(event.level);
        this.#emit(entry, 'aborted', event.level, {
          qid: String(event.qid),
          reason: 'superseded by result',
        });
        return;
    }
  }

  /** Starts an item fetch: at once when the level has no bulkFetch, else queued for the window. */
  #item(owner: TypeOwner, entry: Entry, level: string, qid: number): void {
    const runtime = owner.levels.get(level)!;
    if (!runtime.bulkFetch) {
      this.#single(entry, level, qid, 'single', (signal) => runtime.fetch(entry.key, level, { signal }));
      return;
    }
    let byLevel = this.#pending.get(owner);
    if (!byLevel) this.#pending.set(owner, (byLevel = new Map()));
    let members = byLevel.get(level);
    if (!members) byLevel.set(level, (members = []));
    members.push({ entry, qid });
    this.#bulkQueued();
  }

  #collection(owner: CollectionOwner, entry: Entry, qid: number): void {
    const params = entry.params ?? {};
    this.#single(entry, 'default', qid, 'single', (signal) => owner.fetch(params, { signal }));
  }

  /** Sends every queued bulk group now, in chunks of maxBatchSize. */
  flushBulk(): void {
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [owner, byLevel] of pending) {
      for (const [level, queued] of byLevel) {
        // A result or a removal that came while the window was open has already answered these members.
        const members = queued.filter((member) => isWanted(member, level));
        if (members.length === 0) continue;
        const size = Math.max(1, this.#maxBatchSize);
        let chunks = 0;
        for (let start = 0; start < members.length; start += size) {
          this.#bulk(owner, level, members.slice(start, start + size));
          chunks++;
        }
        this.#lifecycle.emit('bulk:flush', {
          type: owner.name,
          level,
          ids: members.map((m) => m.entry.key),
          chunks,
        });
      }
    }
  }

  /** Drops queued bulk requests (dispose). */
  clear(): void {
    this.#pending.clear();
  }

  #single(
    entry: Entry,
    level: string,
    qid: number,
    strategy: FetchStrategy,
    call: (signal: AbortSignal) => unknown,
  ): void {
    const controller = new AbortController();
    const handle = { cancel: () => controller.abort() };
    entry.setCancel(level, handle);
    let pending: unknown;
    try {
      pending = call(controller.signal);
    } catch (thrown) {
      pending = Promise.reject(thrown);
    }
    Promise.resolve(pending).then(
      (data) => {
        entry.clearCancel(level, handle);
        this.#resolved(entry, level, qid, data, strategy);
      },
      (thrown: unknown) => {
        entry.clearCancel(level, handle);
        this.#rejected(entry, level, qid, toError(thrown), strategy);
      },
    );
  }

  #bulk(owner: TypeOwner, level: string, members: BulkMember[]): void {
    const runtime = owner.levels.get(level)!;
    const controller = new AbortController();
    // The shared call is aborted only when every member's result has stopped mattering.
    let live = members.length;
    const share = { cancel: () => --live === 0 && controller.abort() };
    for (const member of members) member.entry.setCancel(level, share);
    const ids = members.map((member) => member.entry.key);
    let pending: unknown;
    try {
      pending = runtime.bulkFetch!(ids, level, { signal: controller.signal });
    } catch (thrown) {
      pending = Promise.reject(thrown);
    }
    Promise.resolve(pending).then(
      (result) => {
        for (const member of members) member.entry.clearCancel(level, share);
        const byId = indexBulkResult(result);
        if (!byId) {
          const error = new VerityError(
            'INVALID_RESPONSE',
            `Type '${owner.name}' bulkFetch returned neither an array of items with ids nor an { [id]: item } map.`,
          );
          for (const member of members) this.#rejected(member.entry, level, member.qid, error, 'bulk');
          return;
        }
        for (const member of members) {
          if (byId.has(member.entry.key)) {
            this.#resolved(member.entry, level, member.qid, byId.get(member.entry.key), 'bulk');
          } else if (isWanted(member, level)) {
            // Ids the bulk call left out fall back to single fetches, in parallel, under the same query id.
            this.#single(member.entry, level, member.qid, 'fallback', (signal) =>
              runtime.fetch(member.entry.key, level, { signal }),
            );
          }
        }
      },
      (thrown: unknown) => {
        const error = toError(thrown);
        for (const member of members) {
          member.entry.clearCancel(level, share);
          this.#rejected(member.entry, level, member.qid, error, 'bulk');
        }
      },
    );
  }

  /** Checks and stamps the answer, then hands it to the entry. */
  #resolved(entry: Entry, level: string, qid: number, raw: unknown, strategy: FetchStrategy): void {
    if (entry.removed) return;
    let event: EntryEvent;
    try {
      const result = stampAnswer(entry.owner as Owner, entry.key, level, raw, entry.owner.host.now());
      event = { type: 'RESOLVE', qid, result };
    } catch (error) {
      this.#rejected(entry, level, qid, error as Error, strategy);
      return;
    }
    this.#answer(entry, level, qid, event, 'success', { strategy });
  }

  #rejected(entry: Entry, level: string, qid: number, error: Error, strategy: FetchStrategy): void {
    if (entry.removed) return;
    this.#answer(entry, level, qid, { type: 'REJECT', level, qid, error }, 'error', { strategy, error });
  }

  /** The entry takes an answer only from the level's active query (latest-wins); others are reported aborted. */
  #answer(
    entry: Entry,
    level: string,
    qid: number,
    event: EntryEvent,
    phase: 'success' | 'error',
    detail: { strategy: FetchStrategy; error?: Error },
  ): void {
    const id = String(qid);
    if (!entry.accepts(event)) {
      this.#emit(entry, 'aborted', level, { qid: id, reason: 'superseded' });
      return;
    }
    entry.send(event);
    this.#emit(entry, phase, level, { qid: id, ...detail });
    this.#emit(entry, 'complete', level, { qid: id, strategy: detail.strategy });
  }

  #emit(entry: Entry, phase: FetchPhase, level: string, detail: Record<string, unknown>): void {
    // Reads are the hot path: nothing is built unless this very event has a listener.
    const event = FETCH_EVENTS[entry.owner.kind][phase];
    if (!this.#lifecycle.wants(event)) return;
    const base = entryDetail(entry);
    this.#lifecycle.emit(
      event,
      entry.owner.kind === 'item' ? { ...base, level, ...detail } : { ...base, ...detail },
    );
  }
}

/** A member still wants its answer while its entry exists and its query is the level's active one. */
function isWanted(member: BulkMember, level: string): boolean {
  return !member.entry.removed && levelOf(member.entry.context(), level).qid === member.qid;
}

/** A bulk result as id → data: an array of objects with `id`, or an `{ [id]: data }` map. */
function indexBulkResult(result: unknown): Map<string, unknown> | null {
  const byId = new Map<string, unknown>();
  if (Array.isArray(result)) {
    for (const item of result) {
      if (item === null || typeof item !== 'object') continue;
      const id = itemIdKey((item as Record<string, unknown>).id);
      if (id !== null) byId.set(id, item);
    }
    return byId;
  }
  if (isPlainObject(result)) {
    for (const id of Object.keys(result)) {
      if (result[id] !== undefined) byId.set(id, result[id]);
    }
    return byId;
  }
  return null;
}
