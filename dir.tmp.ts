import { createRegistry } from './src/index';

async function drain() {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
const registry = createRegistry({
  sse: { enabled: false, resyncWindowMs: 0 },
  bulk: { delayMs: 0 },
  memory: { sweepIntervalMs: 0 },
  logging: { level: 'silent' },
});
registry.createType('todo', { fetch: async (id) => ({ id, title: `todo ${id}`, done: false }) });
for (let i = 0; i < 50000; i++) registry.fetchItem('todo', i);
while (registry.hasAnyInFlightRequests()) await drain();
const N = 2000;
let sync = 0,
  total = 0;
for (let r = 0; r < N; r++) {
  const id = String((r * 7919) % 50000);
  const t0 = performance.now();
  const p = registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id }]);
  const t1 = performance.now();
  sync += t1 - t0;
  await p;
  total += performance.now() - t0;
}
console.log(
  'sync part µs',
  ((sync / N) * 1000).toFixed(1),
  'wall incl. window µs',
  ((total / N) * 1000).toFixed(1),
);
