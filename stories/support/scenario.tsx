// The frame every scenario story shares: a registry whose fetchers call the story's msw-mocked API, the story's UI,
// and what to watch (entry states, the API's request log, the directive/stream log), each in a panel with a
// data-testid for `play`.
import { type ReactNode, useContext, useEffect, useReducer, useState } from 'react';
import { createRegistry, type LifecycleEvent, type Registry, type RegistryOptions } from '../../src/index';
import { VerityProvider } from '../../src/react/index';
import { InspectorContext, inspectOption } from './inspector';
import type { StorySchema } from './schema';
import type { TodoApi } from './todo-api';

export interface Scenario {
  readonly registry: Registry<StorySchema>;
  readonly api: TodoApi;
  readonly events: LifecycleEvent[];
}

const WATCHED = /^(directive:|sse:|cache:evict|bulk:flush)/;

/** Creates the scenario once per mount (and disposes it on unmount); `setup` registers types and collections. */
export function useScenario(
  api: TodoApi,
  setup: (registry: Registry<StorySchema>) => void,
  options: RegistryOptions = {},
): Scenario {
  const inspect = inspectOption(useContext(InspectorContext));
  const [scenario] = useState(() => {
    const registry = createRegistry<StorySchema>({
      sse: { enabled: false },
      logging: { level: 'silent' },
      bulk: { delayMs: 20 },
      ...options,
      inspect,
    });
    const events: LifecycleEvent[] = [];
    registry.onLifecycle('*', (event) => {
      if (WATCHED.test(event.event)) events.push(event);
    });
    setup(registry);
    return { registry, api, events };
  });
  useEffect(() => () => scenario.registry.dispose(), [scenario]);
  return scenario;
}

/** Re-renders the panels on every entry change, lifecycle event and request. */
function useWatch(scenario: Scenario): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const stops = [
      scenario.registry.onChange(bump),
      scenario.registry.onLifecycle('*', bump),
      scenario.api.subscribe(bump),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }, [scenario]);
}

function describeEvent(event: LifecycleEvent): string {
  const { detail } = event;
  const parts = ['type', 'name', 'id', 'reason', 'lastSeq', 'incomingSeq', 'delayMs', 'size', 'op']
    .filter((key) => detail[key] !== undefined)
    .map(
      (key) =>
        `${key}=${typeof detail[key] === 'object' ? JSON.stringify(detail[key]) : String(detail[key])}`,
    );
  const directive = detail.directive as { op?: string; name?: string } | undefined;
  if (directive?.op) parts.unshift(`${directive.op} ${directive.name ?? ''}`.trim());
  return `${event.event} ${parts.join(' ')}`.trim();
}

const panel = {
  border: '1px solid #ccc',
  padding: 8,
  margin: 4,
  fontSize: 12,
  maxHeight: 260,
  overflow: 'auto',
};

export function ScenarioFrame({
  scenario,
  children,
}: {
  scenario: Scenario;
  children: ReactNode;
}): ReactNode {
  useWatch(scenario);
  const entries = scenario.registry.devtools().entries;
  return (
    <VerityProvider registry={scenario.registry}>
      <div style={{ display: 'flex', fontFamily: 'sans-serif', alignItems: 'flex-start' }}>
        <section style={{ ...panel, flex: 2, maxHeight: 'none' }} data-testid="ui">
          {children}
        </section>
        <div style={{ flex: 3 }}>
          <section style={panel}>
            <strong>Entries ({entries.length})</strong>
            <ul data-testid="entries">
              {entries.map((entry) => (
                <li key={`${entry.kind}:${entry.name}:${entry.key}`}>
                  {entry.kind}:{entry.name}:{entry.key} {entry.status}
                  {entry.subscribers > 0 ? ` (${entry.subscribers} on screen)` : ''}
                </li>
              ))}
            </ul>
          </section>
          <section style={panel}>
            <strong>Requests ({scenario.api.log.length})</strong>
            <ol data-testid="requests">
              {scenario.api.log.map((request, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the log only grows; an index is its identity.
                <li key={i}>{request}</li>
              ))}
            </ol>
          </section>
          <section style={panel}>
            <strong>Directives and stream</strong>
            <ol data-testid="events">
              {scenario.events.map((event, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the log only grows; an index is its identity.
                <li key={i}>{describeEvent(event)}</li>
              ))}
            </ol>
          </section>
        </div>
      </div>
    </VerityProvider>
  );
}

/** The texts of a panel's list items (for `play` assertions). */
export function itemsOf(root: HTMLElement, testId: string): string[] {
  const list = root.querySelector(`[data-testid="${testId}"]`);
  return list ? [...list.querySelectorAll('li')].map((item) => item.textContent ?? '') : [];
}
