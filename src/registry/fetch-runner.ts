// Performs the fetches entries ask for: single calls at once, bulk calls grouped by (type, level).
import { levelOf } from '../machines/entry.machine';
import { toError, VerityError } from '../protocol/errors';
import { itemIdKey } from '../protocol/id';
import type { Entry } from './entry';
import type { CollectionOwner, TypeOwner } from './owners';
import { isPlainObject } from './params-key';

export type FetchStrategy = 'single' | 'bulk' | 'fallback';

export interface FetchOutcomes {
  resolved(entry: Entry, level: string, qid: number, data: unknown, strategy: FetchStrategy): void;
  rejected(entry: Entry, level: string, qid: number, error: Error, strategy: FetchStrategy): void;
  bulkFlushed(detail: { type: string; level: string; ids: string[]; chunks: number }): void;
}

interface BulkMember {
  readonly entry: Entry;
  readonly qid: number;
}

export class FetchRunner {
  readonly #outcomes: FetchOutcomes;
  readonly #maxBatchSize: () => number;
  /** Bulk requests waiting for the coordinator's window, by type then level. */
  #pending = new Map<TypeOwner, Map<string, BulkMember[]>>();

  constructor(outcomes: FetchOutcomes, maxBatchSize: () => number) {
    this.#outcomes = outcomes;
    this.#maxBatchSize = maxBatchSize;
  }

  get hasPending(): boolean {
    return this.#pending.size > 0;
  }

  /** Starts an item fetch: at once when the level has no bulkFetch, else queued for the window. */
  item(owner: TypeOwner, entry: Entry, level: string, qid: number): 'started' | 'queued' {
    const runtime = owner.levels.get(level)!;
    if (!runtime.bulkFetch) {
      this.#single(entry, level, qid, 'single', (signal) => runtime.fetch(entry.key, level, { signal }));
      return 'started';
    }
    let byLevel = this.#pending.get(owner);
    if (!byLevel) this.#pending.set(owner, (byLevel = new Map()));
    let members = byLevel.get(level);
    if (!members) byLevel.set(level, (members = []));
    members.push({ entry, qid });
    return 'queued';
  }

  collection(owner: CollectionOwner, entry: Entry, qid: number): void {
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
        const size = Math.max(1, this.#maxBatchSize());
        let chunks = 0;
        for (let start = 0; start < members.length; start += size) {
          this.#bulk(owner, level, members.slice(start, start + size));
          chunks++;
        }
        this.#outcomes.bulkFlushed({ type: owner.name, level, ids: members.map((m) => m.entry.key), chunks });
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
        this.#outcomes.resolved(entry, level, qid, data, strategy);
      },
      (thrown: unknown) => {
        entry.clearCancel(level, handle);
        this.#outcomes.rejected(entry, level, qid, toError(thrown), strategy);
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
          for (const member of members)
            this.#outcomes.rejected(member.entry, level, member.qid, error, 'bulk');
          return;
        }
        for (const member of members) {
          if (byId.has(member.entry.key)) {
            this.#outcomes.resolved(member.entry, level, member.qid, byId.get(member.entry.key), 'bulk');
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
          this.#outcomes.rejected(member.entry, level, member.qid, error, 'bulk');
        }
      },
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
