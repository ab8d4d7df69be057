// Ingesting one stream frame of about 1 MiB (the default maxFrameBytes), through the real SSE path, next to
// JSON.parse of the same text: a frame may cost its parse, but a hostile one must not cost much more.
import { performance } from 'node:perf_hooks';
import { createRegistry, type EventSourceLike, type Registry } from '../src/index';
import { alternate, busyMs, drain, medians, ratio, round, sleep } from './harness';
import type { BenchOutput } from './report';

const FRAME_BYTES = 1_000_000;
const CACHED_ITEMS = 1000;

/** Repeats `piece(i)` until the envelope's JSON reaches about FRAME_BYTES (sized by its longest piece). */
function fill(piece: (i: number) => unknown, envelope: (items: unknown[]) => unknown): string {
  const sample = JSON.stringify(piece(FRAME_BYTES)).length + 1;
  const items = Array.from({ length: Math.floor(FRAME_BYTES / sample) }, (_, i) => piece(i));
  return JSON.stringify(envelope(items));
}

const directives = (list: unknown[]) => ({ type: 'directives', audience: 'global', directives: list });

/** Each shape is a frame a server (or an attacker who owns one) could send, at the size limit. */
export const frames: Record<string, () => string> = {
  /** The legitimate heavy frame: the batch limit's worth of item results for cached entries. */
  itemResults: () =>
    JSON.stringify(
      directives(
        Array.from({ length: CACHED_ITEMS }, (_, i) => ({
          op: 'refresh_item',
          name: 'todo',
          id: i,
          result: {
            data: { id: String(i), title: `todo ${i}`, body: 'x'.repeat(FRAME_BYTES / CACHED_ITEMS - 90) },
          },
        })),
      ),
    ),
  /** `1,1,1,…`: half a million junk directives; the limit's worth are rejected one by one, the rest as one group. */
  numbers: () => fill(() => 1, directives),
  /** `{},{},…`: a third of a million empty objects (each a directive without an op). */
  emptyObjects: () => fill(() => ({}), directives),
  /** Twenty times the batch limit of small directives: rejected as one group. */
  overLimit: () => fill((i) => ({ op: 'refresh_item', name: 'todo', id: i }), directives),
  /** The limit hidden under eight levels of `invalidate` groups. */
  nestedGroups: () =>
    fill(
      (i) => ({ op: 'refresh_item', name: 'todo', id: i }),
      (leaves) => {
        let group: unknown = { op: 'invalidate', targets: leaves };
        for (let depth = 1; depth < 8; depth++) group = { op: 'invalidate', targets: [group] };
        return directives([group]);
      },
    ),
  /** One collection directive whose params object has tens of thousands of keys (params keys sort them). */
  wideParams: () =>
    JSON.stringify(
      directives([
        {
          op: 'refresh_collection',
          name: 'todos',
          params: Object.fromEntries(Array.from({ length: 65_000 }, (_, i) => [`k${i}`, i])),
        },
      ]),
    ),
  /** A collection result listing ~100,000 ids for the cached default entry. */
  longIdList: () =>
    fill(
      (i) => i + FRAME_BYTES,
      (ids) => directives([{ op: 'refresh_collection', name: 'todos', result: { ids } }]),
    ),
};

/** An EventSource the bench drives by hand: the registry's real stream code parses and applies its frames. */
class BenchEventSource implements EventSourceLike {
  static latest: BenchEventSource | null = null;
  readyState = 1;
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  constructor() {
    BenchEventSource.latest = this;
  }
  close(): void {
    this.readyState = 2;
  }
}

type Schema = {
  types: { todo: { id: string; title: string } };
  collections: { todos: { params: Record<string, unknown>; meta: unknown } };
};

async function streamingRegistry(): Promise<{ registry: Registry<Schema>; source: BenchEventSource }> {
  const registry = createRegistry<Schema>({
    sse: { url: 'http://127.0.0.1/events', EventSource: BenchEventSource, resyncOnGap: false },
    bulk: { delayMs: 0 },
    memory: { sweepIntervalMs: 0 },
    logging: { level: 'silent' },
  });
  registry.createType('todo', { fetch: (id) => ({ id, title: `todo ${id}` }) });
  registry.createCollection('todos', { fetch: () => ({ ids: [] }) });
  for (let i = 0; i < CACHED_ITEMS; i++) registry.fetchItem('todo', i);
  registry.fetchCollection('todos');
  while (registry.hasAnyInFlightRequests()) await drain();
  const source = BenchEventSource.latest!;
  source.onopen?.(new Event('open'));
  return { registry, source };
}

export async function frameIngest(rounds = 3): Promise<BenchOutput> {
  const shapes: Array<{ shape: string; bytes: number; ingestMs: number; jsonParseMs: number }> = [];
  for (const [shape, build] of Object.entries(frames)) {
    const text = build();
    const { registry, source } = await streamingRegistry();
    let seq = 0;
    const samples = await alternate(rounds, {
      ingest: () =>
        busyMs(async () => {
          seq += 1;
          // The envelope's seq goes up by one each time, so no frame is dropped as a duplicate.
          const data = text.replace('{"type":"directives",', `{"type":"directives","seq":${seq},`);
          source.onmessage?.(new MessageEvent('message', { data, lastEventId: String(seq) }));
          await sleep(5);
          while (registry.hasAnyInFlightRequests()) await drain();
        }),
      jsonParse: () => {
        const start = performance.now();
        JSON.parse(text);
        return performance.now() - start;
      },
    });
    registry.dispose();
    const m = medians(samples);
    shapes.push({ shape, bytes: text.length, ingestMs: round(m.ingest), jsonParseMs: round(m.jsonParse) });
  }
  const worst = shapes.reduce((a, b) => (b.ingestMs > a.ingestMs ? b : a));
  const result = {
    worstFrame: worst.shape,
    worstFrameMs: worst.ingestMs,
    jsonParseMs: worst.jsonParseMs,
    ratio: round(ratio(worst.jsonParseMs, worst.ingestMs)),
    frames: shapes,
  };
  return {
    result,
    rows: [
      {
        figure: `frame ingest, worst ~1 MiB frame (${worst.shape}) vs JSON.parse`,
        verity: result.worstFrameMs,
        peer: result.jsonParseMs,
        unit: 'ms busy',
        ratio: result.ratio,
      },
    ],
  };
}
