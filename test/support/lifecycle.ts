// Records a registry's lifecycle events in the order it emits them, with the queries tests make of the log.
import type { LifecycleEvent, LifecycleEventName, Registry } from '../../src/index';
import { waitUntil } from './sse-test-server';

export interface LifecycleLog {
  readonly events: LifecycleEvent[];
  of(name: LifecycleEventName): LifecycleEvent[];
  names(): LifecycleEventName[];
  details(name: LifecycleEventName): Array<Readonly<Record<string, unknown>>>;
  count(name: LifecycleEventName): number;
  /** Waits (bounded, real time: for tests against a real server) until `name` has been emitted `times` times. */
  until(name: LifecycleEventName, times?: number, timeoutMs?: number): Promise<void>;
  stop(): void;
}

/** Records every lifecycle event, or only the named ones. */
export function recordLifecycle(
  registry: Pick<Registry, 'onLifecycle'>,
  names: readonly LifecycleEventName[] | '*' = '*',
): LifecycleLog {
  const events: LifecycleEvent[] = [];
  const stops =
    names === '*'
      ? [registry.onLifecycle('*', (event) => events.push(event))]
      : names.map((name) => registry.onLifecycle(name, (event) => events.push(event)));
  const of = (name: LifecycleEventName) => events.filter((event) => event.event === name);
  return {
    events,
    of,
    names: () => events.map((event) => event.event),
    details: (name) => of(name).map((event) => event.detail),
    count: (name) => of(name).length,
    until: (name, times = 1, timeoutMs = 5000) =>
      waitUntil(() => of(name).length >= times, `${times} × ${name}`, timeoutMs),
    stop() {
      for (const stop of stops) stop();
    },
  };
}
