// Lifecycle events and change notifications: one fan-out loop, a throwing listener never disturbs others.

import type { Entry } from './entry';
import type { ChangeEvent, LifecycleEvent, LifecycleEventName, LogLevel } from './types';

type LifecycleListener = (event: LifecycleEvent) => void;
type ChangeListener = (event: ChangeEvent) => void;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export class Logger {
  readonly #threshold: number;
  readonly #prefix: string;

  constructor(level: LogLevel, prefix: string) {
    this.#threshold = LEVELS[level];
    this.#prefix = prefix;
  }

  log(level: Exclude<LogLevel, 'silent'>, message: string, ...extra: unknown[]): void {
    if (LEVELS[level] < this.#threshold) return;
    const sink = level === 'debug' ? console.debug : level === 'info' ? console.info : console[level];
    sink(`${this.#prefix} ${message}`, ...extra);
  }
}

export class Lifecycle {
  readonly #byName = new Map<string, Set<LifecycleListener>>();
  readonly #changes = new Set<ChangeListener>();
  readonly #logger: Logger;
  #count = 0;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Whether `name` has a listener (its own or "*"): callers build an event's detail only then. */
  wants(name: LifecycleEventName): boolean {
    if (this.#count === 0) return false;
    return (this.#byName.get(name)?.size ?? 0) > 0 || (this.#byName.get('*')?.size ?? 0) > 0;
  }

  get watchingChanges(): boolean {
    return this.#changes.size > 0;
  }

  on(name: LifecycleEventName | '*', listener: LifecycleListener): () => void {
    let set = this.#byName.get(name);
    if (!set) this.#byName.set(name, (set = new Set()));
    const wrapped: LifecycleListener = (event) => listener(event);
    set.add(wrapped);
    this.#count++;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      set.delete(wrapped);
      this.#count--;
    };
  }

  onChange(listener: ChangeListener): () => void {
    const wrapped: ChangeListener = (event) => listener(event);
    this.#changes.add(wrapped);
    return () => {
      this.#changes.delete(wrapped);
    };
  }

  emit(name: LifecycleEventName, detail: Record<string, unknown>): void {
    if (this.#count === 0) return;
    const specific = this.#byName.get(name);
    const wildcard = this.#byName.get('*');
    if (!specific?.size && !wildcard?.size) return;
    const event: LifecycleEvent = Object.freeze({
      event: name,
      detail: Object.freeze({ ...detail }),
      timestamp: new Date().toISOString(),
    });
    if (specific) this.#deliver(specific, event);
    if (wildcard) this.#deliver(wildcard, event);
  }

  change(type: string, detail: Record<string, unknown>): void {
    if (this.#changes.size === 0) return;
    const event: ChangeEvent = Object.freeze({
      type,
      detail: Object.freeze({ ...detail }),
      timestamp: new Date().toISOString(),
    });
    this.#deliver(this.#changes, event);
  }

  clear(): void {
    this.#byName.clear();
    this.#changes.clear();
    this.#count = 0;
  }

  #deliver<T>(listeners: Set<(event: T) => void>, event: T): void {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.log(
          'error',
          'A listener threw; other listeners and the registry are unaffected.',
          error,
        );
      }
    }
  }
}

/** How events name an entry: type and id, or collection, params and params key. */
export function entryDetail(entry: Entry): Record<string, unknown> {
  return entry.owner.kind === 'item'
    ? { type: entry.owner.name, id: entry.key }
    : { name: entry.owner.name, params: entry.params, paramsKey: entry.key };
}
