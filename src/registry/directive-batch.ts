// The coordinator's batch: directives and resyncs gathered in one window become at most one refetch per entry.
import { levelOf, type StampedData } from '../machines/entry.machine';
import { type NormalizedDirective, normalizeDirectives } from '../protocol/directive';
import type { Entry } from './entry';
import { IdempotencyMemory } from './idempotency';
import { DEFAULT_LEVEL, planRefetch } from './level-graph';
import type { Lifecycle, Logger } from './lifecycle';
import type { ResolvedOptions } from './options';
import type { CollectionOwner, Owner, TypeOwner } from './owners';
import { paramsContain, paramsKey } from './params-key';
import type { ApplyReport, CollectionData, Directive } from './types';

export interface BatchHost {
  readonly options: ResolvedOptions;
  readonly clientId: string;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  now(): number;
  readonly types: ReadonlyMap<string, TypeOwner>;
  readonly collections: ReadonlyMap<string, CollectionOwner>;
  /** One silent refetch request for one level (coalesces or queues a trailing fetch when in flight). */
  request(entry: Entry, level: string, mode: 'directive' | 'resync'): void;
  isActive(entry: Entry): boolean;
  onForceReload(hard: boolean): void;
  /** Opens the coordinator's window. */
  wake(): void;
}

export interface EnqueueOptions {
  source?: string | undefined;
  audience?: string | undefined;
  fromStream?: boolean;
  disableIdempotencyGuard?: boolean;
}

interface PendingCall {
  readonly directives: NormalizedDirective[];
  readonly report: ApplyReport;
  readonly guard: boolean;
  readonly touched: Set<Entry>;
  readonly resolve: (report: ApplyReport) => void;
}

/** What one batch will do to one entry. */
interface Target {
  readonly levels: Set<string>;
  /** Levels a directive result already satisfied in this batch: not refetched, not marked stale. */
  readonly satisfied: Set<string>;
  mode: 'directive' | 'resync';
}

type Refusal = { skip: string };

export class DirectiveBatcher {
  readonly #host: BatchHost;
  readonly #idempotency: IdempotencyMemory;
  #calls: PendingCall[] = [];
  #resyncs: Array<() => void> = [];

  constructor(host: BatchHost) {
    this.#host = host;
    const { idempotencyTtlMs, idempotencyMaxKeys } = host.options.directives;
    this.#idempotency = new IdempotencyMemory(idempotencyTtlMs, idempotencyMaxKeys);
  }

  get hasPending(): boolean {
    return this.#calls.length > 0 || this.#resyncs.length > 0;
  }

  /** Validates now (rejections are reported at once), applies at the end of the window. Never rejects. */
  enqueue(input: unknown, options: EnqueueOptions = {}): Promise<ApplyReport> {
    const { lifecycle, logger, clientId } = this.#host;
    let outcome: ReturnType<typeof normalizeDirectives>;
    try {
      outcome = normalizeDirectives(input, {
        maxDirectivesPerBatch: this.#host.options.limits.maxDirectivesPerBatch,
      });
    } catch (error) {
      outcome = {
        directives: [],
        rejected: [{ directive: input, reason: `unreadable input: ${String(error)}` }],
      };
    }
    const report: ApplyReport = { applied: [], skipped: [], rejected: [] };
    lifecycle.emit('directive:received', {
      count: outcome.directives.length + outcome.rejected.length,
      source: options.source ?? null,
      audience: options.audience ?? null,
    });
    // A rejection costs its report entry (and an event only when someone listens); the log gets one line.
    const rejected = outcome.rejected;
    const announce = lifecycle.wants('directive:rejected');
    for (let index = 0; index < rejected.length; index++) {
      const rejection = rejected[index]!;
      report.rejected.push(rejection);
      if (announce)
        lifecycle.emit('directive:rejected', { directive: rejection.directive, reason: rejection.reason });
    }
    if (rejected.length > 0) {
      logger.log(
        'warn',
        `Rejected ${rejected.length} directive(s) of a batch (${outcome.directives.length} accepted); the first: ${rejected[0]!.reason}`,
        rejected[0]!.directive,
      );
    }
    if (options.source !== undefined && options.source === clientId) {
      for (const directive of outcome.directives) this.#skip(report, directive, `own source (${clientId})`);
      return Promise.resolve(report);
    }
    if (outcome.directives.length === 0) return Promise.resolve(report);
    return new Promise((resolve) => {
      this.#calls.push({
        directives: outcome.directives,
        report,
        guard: options.disableIdempotencyGuard !== true,
        touched: new Set(),
        resolve,
      });
      this.#host.wake();
    });
  }

  /** A resync joins the window too, so it batches with directives and bulk fetches. */
  enqueueResync(): Promise<void> {
    return new Promise((resolve) => {
      this.#resyncs.push(resolve);
      this.#host.wake();
    });
  }

  flush(): void {
    const calls = this.#calls;
    const resyncs = this.#resyncs;
    this.#calls = [];
    this.#resyncs = [];
    const targets = new Map<Entry, Target>();
    const now = this.#host.now();
    this.#idempotency.prune(now);
    // Results first: server truth supersedes fetches in flight before any refetch is planned.
    for (const call of calls) {
      for (const directive of call.directives) this.#process(call, directive, targets, now);
    }
    const resynced = new Set<Entry>();
    if (resyncs.length > 0) this.#planResync(targets, resynced);
    for (const [entry, target] of targets) this.#dispatch(entry, target);
    for (const call of calls) {
      const settled = [...call.touched].map((entry) => entry.whenSettled());
      void Promise.all(settled).then(() => call.resolve(call.report));
    }
    if (resyncs.length > 0) {
      void Promise.all([...resynced].map((entry) => entry.whenSettled())).then(() => {
        for (const resolve of resyncs) resolve();
      });
    }
  }

  dispose(): void {
    for (const call of this.#calls) call.resolve(call.report);
    for (const resolve of this.#resyncs) resolve();
    this.#calls = [];
    this.#resyncs = [];
    this.#idempotency.clear();
  }

  #process(
    call: PendingCall,
    directive: NormalizedDirective,
    targets: Map<Entry, Target>,
    now: number,
  ): void {
    const { lifecycle } = this.#host;
    const key = directive.meta.key;
    if (call.guard && key !== null && this.#idempotency.seen(key, now)) {
      this.#skip(call.report, directive, `idempotency key '${key}' already processed`);
      return;
    }
    const outcome = this.#apply(call, directive, targets, now);
    if (outcome) {
      this.#skip(call.report, directive, outcome.skip);
      return;
    }
    if (call.guard && key !== null) this.#idempotency.record(key, now);
    call.report.applied.push(directive.raw as Directive);
    lifecycle.emit('directive:processed', { directive: directive.raw });
  }

  #apply(
    call: PendingCall,
    directive: NormalizedDirective,
    targets: Map<Entry, Target>,
    now: number,
  ): Refusal | undefined {
    if (directive.kind === 'reload') {
      try {
        this.#host.onForceReload(directive.hard);
      } catch (error) {
        this.#host.logger.log('error', 'onForceReload threw.', error);
      }
      return undefined;
    }
    const owner: Owner | undefined =
      directive.kind === 'item'
        ? this.#host.types.get(directive.name)
        : this.#host.collections.get(directive.name);
    if (!owner)
      return { skip: `unknown ${directive.kind === 'item' ? 'type' : 'collection'} '${directive.name}'` };
    const gate = this.#gate(owner, directive);
    if (gate) return gate;
    if (directive.kind === 'item') return this.#applyItem(call, owner as TypeOwner, directive, targets, now);
    this.#applyCollection(call, owner as CollectionOwner, directive, targets, now);
    return undefined;
  }

  #gate(owner: Owner, directive: NormalizedDirective): Refusal | undefined {
    if (!owner.check) return undefined;
    try {
      return owner.check(directive.raw as Directive) === false
        ? { skip: 'check gate returned false' }
        : undefined;
    } catch (error) {
      return { skip: `check gate threw: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  #applyItem(
    call: PendingCall,
    owner: TypeOwner,
    directive: Extract<NormalizedDirective, { kind: 'item' }>,
    targets: Map<Entry, Target>,
    now: number,
  ): Refusal | undefined {
    const level = directive.level ?? null;
    if (level !== null && !owner.levels.has(level))
      return { skip: `type '${owner.name}' has no level '${level}'` };
    for (const result of directive.result ?? []) {
      if (!owner.levels.has(result.level)) return { skip: `result names unknown level '${result.level}'` };
    }
    const entry = owner.entries.get(directive.id);
    // Directives never create state: an item nobody has read is left alone.
    if (!entry) return undefined;
    const target = this.#target(targets, entry, 'directive');
    if (level !== null) target.levels.add(level);
    for (const held of Object.keys(entry.context().levels)) target.levels.add(held);
    if (directive.result && directive.result.length > 0) {
      const results: StampedData[] = directive.result.map((result) => ({
        level: result.level,
        data: result.data,
        stamps: owner.graph.stampsFor(result.level, result.data),
        at: result.ts !== null && result.ts < now ? result.ts : now,
      }));
      for (const result of results) for (const stamped of result.stamps) target.satisfied.add(stamped);
      entry.send({ type: 'APPLY_RESULT', results });
    }
    call.touched.add(entry);
    return undefined;
  }

  #applyCollection(
    call: PendingCall,
    owner: CollectionOwner,
    directive: Extract<NormalizedDirective, { kind: 'collection' }>,
    targets: Map<Entry, Target>,
    now: number,
  ): void {
    for (const entry of this.#matchCollection(owner, directive)) {
      const target = this.#target(targets, entry, 'directive');
      target.levels.add(DEFAULT_LEVEL);
      call.touched.add(entry);
    }
    // A result is server truth for the one param set the directive names exactly (no params: the default key);
    // every other matched entry is handled as if there were no result.
    if (!directive.result || directive.mode !== 'exact') return;
    const key = keyOf(owner, directive.params ?? {});
    const entry = key === null ? undefined : owner.entries.get(key);
    if (!entry) return;
    const data: CollectionData = Object.freeze({
      ids: Object.freeze([...directive.result.ids]) as CollectionData['ids'],
      count: directive.result.count,
      meta: directive.result.meta ?? null,
    });
    targets.get(entry)!.satisfied.add(DEFAULT_LEVEL);
    entry.send({
      type: 'APPLY_RESULT',
      results: [{ level: DEFAULT_LEVEL, data, stamps: [DEFAULT_LEVEL], at: now }],
    });
  }

  #matchCollection(
    owner: CollectionOwner,
    directive: Extract<NormalizedDirective, { kind: 'collection' }>,
  ): Entry[] {
    if (directive.params === null) return [...owner.entries.values()];
    if (directive.mode === 'exact') {
      const key = keyOf(owner, directive.params);
      const entry = key === null ? undefined : owner.entries.get(key);
      return entry ? [entry] : [];
    }
    const matched: Entry[] = [];
    for (const entry of owner.entries.values()) {
      if (paramsContain(entry.params ?? {}, directive.params)) matched.push(entry);
    }
    return matched;
  }

  #planResync(targets: Map<Entry, Target>, resynced: Set<Entry>): void {
    const owners: Owner[] = [...this.#host.types.values(), ...this.#host.collections.values()];
    for (const owner of owners) {
      for (const entry of owner.entries.values()) {
        const target = this.#target(targets, entry, 'resync');
        for (const level of Object.keys(entry.context().levels)) target.levels.add(level);
        if (owner.kind === 'collection') target.levels.add(DEFAULT_LEVEL);
        resynced.add(entry);
      }
    }
  }

  #target(targets: Map<Entry, Target>, entry: Entry, mode: Target['mode']): Target {
    let target = targets.get(entry);
    if (!target) targets.set(entry, (target = { levels: new Set(), satisfied: new Set(), mode }));
    return target;
  }

  /** Active entries refetch at once, silently, the fewest levels that cover what they hold; others go stale. */
  #dispatch(entry: Entry, target: Target): void {
    if (entry.removed) return;
    const required = new Set<string>();
    for (const level of target.levels) if (!target.satisfied.has(level)) required.add(level);
    if (required.size === 0) return;
    const context = entry.context();
    if (!this.#host.isActive(entry)) {
      const idle: string[] = [];
      for (const level of required) {
        // A fetch in flight may predate the change: it gets one trailing fetch either way.
        if (levelOf(context, level).qid !== null) this.#host.request(entry, level, target.mode);
        else idle.push(level);
      }
      if (idle.length > 0) entry.send({ type: 'INVALIDATE', levels: idle });
      return;
    }
    const owner = entry.owner as Owner;
    if (owner.kind === 'collection') {
      this.#host.request(entry, DEFAULT_LEVEL, target.mode);
      return;
    }
    const levels = planRefetch(owner.graph, required, (level) => levelOf(context, level).qid !== null);
    for (const level of levels) this.#host.request(entry, level, target.mode);
  }

  #skip(report: ApplyReport, directive: NormalizedDirective, reason: string): void {
    report.skipped.push({ directive: directive.raw as Directive, reason });
    this.#host.lifecycle.emit('directive:skipped', { directive: directive.raw, reason });
  }
}

/** The entry key a directive's params name, as reads compute it; null when a custom key() throws. */
function keyOf(owner: CollectionOwner, params: Readonly<Record<string, unknown>>): string | null {
  try {
    return owner.key ? owner.key(params) : paramsKey(params);
  } catch {
    return null;
  }
}
