// The SSE stream contract on virtual time: stream url, frames to signals, backoff, reset, close-on-error, teardown.
import { map, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  buildStreamUrl,
  type EventSourceLike,
  type SseSignal,
  type SseStreamOptions,
  sseStream,
} from '../../src/transport/sse-stream';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

/**
 * A scripted EventSource. Like a browser's, after an error it retries on its own a few frames later
 * unless it was closed, so a test can see whether that retry would race the stream's.
 */
function fakeEventSources(scheduler: SchedulerLike) {
  const created: FakeEventSource[] = [];
  class FakeEventSource implements EventSourceLike {
    readyState = CONNECTING;
    onopen: ((ev: Event) => unknown) | null = null;
    onmessage: ((ev: MessageEvent) => unknown) | null = null;
    onerror: ((ev: Event) => unknown) | null = null;
    readonly createdAt = scheduler.now();
    closedAt: number | null = null;

    constructor(
      readonly url: string,
      readonly init?: { withCredentials?: boolean },
    ) {
      created.push(this);
    }

    open(): void {
      if (this.readyState === CLOSED) return;
      this.readyState = OPEN;
      this.onopen?.(new Event('open'));
    }

    message(data: unknown, lastEventId = ''): void {
      this.onmessage?.(new MessageEvent('message', { data, lastEventId }));
    }

    fail(): void {
      this.readyState = CONNECTING;
      this.onerror?.(new Event('error'));
      if (this.readyState !== CLOSED) scheduler.schedule(() => this.open(), 3);
    }

    close(): void {
      this.readyState = CLOSED;
      this.closedAt ??= scheduler.now();
    }
  }
  const latest = () => {
    const source = created.at(-1);
    if (source === undefined) throw new Error('no EventSource was constructed');
    return source;
  };
  return { EventSource: FakeEventSource, created, latest };
}

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

function setup(scheduler: TestScheduler, overrides: Partial<SseStreamOptions> = {}) {
  const fakes = fakeEventSources(scheduler);
  const options: SseStreamOptions = {
    url: 'http://example.test/api/events',
    clientId: 'client-1',
    audience: 'global',
    clientIdParam: 'client_id',
    audienceParam: 'audience',
    withCredentials: false,
    EventSource: fakes.EventSource,
    initialRetryMs: 10,
    maxRetryMs: 40,
    backoffMultiplier: 2,
    maxFrameBytes: 256,
    resumeFrom: () => null,
    random: () => 0.5,
    scheduler,
    ...overrides,
  };
  /** Runs `step` on the newest EventSource at `frame`. */
  const at = (frame: number, step: (source: ReturnType<typeof fakes.latest>) => void) => {
    scheduler.schedule(() => step(fakes.latest()), frame);
  };
  return { ...fakes, options, stream: sseStream(options), at };
}

const error = (attempt: number, retryInMs: number): SseSignal => ({ type: 'error', attempt, retryInMs });
const streamUrl = 'http://example.test/api/events?client_id=client-1&audience=global';
const opened: SseSignal = { type: 'open', url: streamUrl };

describe('buildStreamUrl', () => {
  const base = {
    url: 'https://api.example.com/events',
    clientId: 'c 1',
    audience: 'team/7',
    clientIdParam: 'client_id',
    audienceParam: 'audience',
  };

  it('adds the client id and audience to an absolute url', () => {
    expect(buildStreamUrl(base, null)).toBe('https://api.example.com/events?client_id=c+1&audience=team%2F7');
  });

  it('adds last_event_id when there is a seq to resume from, including 0', () => {
    expect(buildStreamUrl(base, '42')).toMatch(/&last_event_id=42$/);
    expect(buildStreamUrl(base, '0')).toMatch(/&last_event_id=0$/);
    expect(buildStreamUrl(base, 'e1f0:42')).toMatch(/&last_event_id=e1f0%3A42$/);
  });

  it('keeps existing query parameters and replaces ones it owns', () => {
    const url = buildStreamUrl(
      { ...base, url: 'https://api.example.com/events?token=abc&audience=old' },
      '3',
    );
    const parsed = new URL(url);
    expect(parsed.searchParams.get('token')).toBe('abc');
    expect(parsed.searchParams.getAll('audience')).toEqual(['team/7']);
    expect(parsed.searchParams.get('last_event_id')).toBe('3');
  });

  it('uses the configured parameter names', () => {
    const url = new URL(buildStreamUrl({ ...base, clientIdParam: 'cid', audienceParam: 'aud' }, null));
    expect([...url.searchParams.keys()]).toEqual(['cid', 'aud']);
  });

  it('keeps a relative url relative, resolved as the page would resolve it', () => {
    expect(buildStreamUrl({ ...base, url: '/api/events' }, null)).toBe(
      '/api/events?client_id=c+1&audience=team%2F7',
    );
    expect(
      buildStreamUrl({ ...base, url: 'events?x=1', base: 'https://app.example.com/app/page' }, '5'),
    ).toBe('/app/events?x=1&client_id=c+1&audience=team%2F7&last_event_id=5');
  });

  it('keeps a protocol-relative url pointing at its own host', () => {
    expect(
      buildStreamUrl({ ...base, url: '//sse.example.com/e', base: 'https://app.example.com/' }, null),
    ).toBe('https://sse.example.com/e?client_id=c+1&audience=team%2F7');
  });
});

describe('sseStream', () => {
  it('is cold: it connects on subscribe, with the stream url and credentials flag', () => {
    const scheduler = testScheduler();
    const { created, stream } = setup(scheduler, { withCredentials: true });
    expect(created).toHaveLength(0);
    const subscription = stream.subscribe();
    expect(created).toHaveLength(1);
    expect(created[0]?.url).toBe(streamUrl);
    expect(created[0]?.init).toEqual({ withCredentials: true });
    subscription.unsubscribe();
    expect(created[0]?.readyState).toBe(CLOSED);
  });

  it('turns frames into messages and junk; unhandled types produce nothing', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { stream, at } = setup(scheduler);
      at(1, (s) => s.open());
      at(2, (s) => s.message('{"type":"hello","audience":"global","last_seq":4,"resumed":false}'));
      at(3, (s) => s.message('{"type":"directives","seq":5,"directives":[]}', '5'));
      at(4, (s) => s.message('{"type":"presence"}'));
      at(5, (s) => s.message('{"type":"directives",'));
      at(6, (s) => s.message(`{"type":"directives","seq":6,"directives":["${'é'.repeat(200)}"]}`, '6'));
      at(7, (s) => s.message(new ArrayBuffer(4)));
      at(8, (s) => s.message('{"type":"directives","seq":6,"directives":[]}', '6'));
      expectObservable(stream, '^ 20ms !').toBe('-ohm-jjkn', {
        o: opened,
        h: {
          type: 'message',
          message: { type: 'hello', audience: 'global', last_seq: 4, resumed: false },
          lastEventId: null,
        },
        m: { type: 'message', message: { type: 'directives', seq: 5, directives: [] }, lastEventId: '5' },
        j: expect.objectContaining({ type: 'junk', reason: expect.any(String) }),
        k: { type: 'junk', reason: 'frame data is not text', bytes: 0 },
        n: { type: 'message', message: { type: 'directives', seq: 6, directives: [] }, lastEventId: '6' },
      });
    });
  });

  it('reports the byte size of a junk frame', () => {
    const scheduler = testScheduler();
    const { stream, latest } = setup(scheduler);
    const signals: SseSignal[] = [];
    const subscription = stream.subscribe((signal) => signals.push(signal));
    const huge = `{"type":"directives","seq":1,"directives":["${'€'.repeat(100)}"]}`;
    latest().message(huge);
    subscription.unsubscribe();
    expect(signals).toEqual([
      {
        type: 'junk',
        reason: expect.stringMatching(/exceeds maxFrameBytes \(256\)/),
        bytes: huge.length + 200,
      },
    ]);
  });

  it('reconnects with exponential backoff, capped at maxRetryMs', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { stream, at, created } = setup(scheduler);
      at(1, (s) => s.open());
      at(2, (s) => s.fail());
      at(13, (s) => s.fail());
      at(34, (s) => s.fail());
      at(75, (s) => s.fail());
      expectObservable(stream, '^ 150ms !').toBe('-oa 10ms b 20ms c 40ms d', {
        o: opened,
        a: error(1, 10),
        b: error(2, 20),
        c: error(3, 40),
        d: error(4, 40),
      });
      scheduler.schedule(() => {
        expect(created.map((s) => s.createdAt)).toEqual([0, 12, 33, 74, 115]);
      }, 149);
    });
  });

  it('applies ±20 % jitter to each delay', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { stream, at, created } = setup(scheduler, {
        random: () => 0,
        initialRetryMs: 100,
        maxRetryMs: 1000,
      });
      at(1, (s) => s.fail());
      expectObservable(stream, '^ 150ms !').toBe('-a', { a: error(1, 80) });
      scheduler.schedule(() => expect(created.map((s) => s.createdAt)).toEqual([0, 81]), 149);
    });
  });

  it('resets the backoff after a successful open', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { stream, at, created } = setup(scheduler);
      at(1, (s) => s.fail());
      at(12, (s) => s.fail());
      at(33, (s) => s.open());
      at(34, (s) => s.fail());
      expectObservable(stream, '^ 60ms !').toBe('-a 10ms b 20ms oc', {
        a: error(1, 10),
        b: error(2, 20),
        o: opened,
        c: error(1, 10),
      });
      scheduler.schedule(() => expect(created.map((s) => s.createdAt)).toEqual([0, 11, 32, 44]), 59);
    });
  });

  it('closes the failed EventSource at once, so its own retry never races ours', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { stream, at, created } = setup(scheduler, { initialRetryMs: 20, maxRetryMs: 20 });
      at(1, (s) => s.open());
      at(5, (s) => s.fail());
      // Had it not been closed, the fake's own retry would open at frame 8 and be reported.
      expectObservable(stream, '^ 30ms !').toBe('-o---e', { o: opened, e: error(1, 20) });
      scheduler.schedule(() => {
        expect(created).toHaveLength(1);
        expect(created[0]?.closedAt).toBe(5);
        expect(created[0]?.onerror).toBeNull();
      }, 10);
    });
  });

  it('ignores whatever a replaced EventSource still reports', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { stream, at, created } = setup(scheduler);
      let first: (typeof created)[number] | undefined;
      at(1, (s) => {
        first = s;
        s.fail();
      });
      at(20, () => {
        first?.message('{"type":"directives","seq":9,"directives":[]}');
        first?.fail();
      });
      expectObservable(stream, '^ 30ms !').toBe('-a', { a: error(1, 10) });
    });
  });

  it('does not reconnect after unsubscribe, and closes the current EventSource', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { stream, at, created } = setup(scheduler);
      at(1, (s) => s.open());
      at(2, (s) => s.fail());
      at(13, (s) => s.open());
      at(14, (s) => s.fail());
      expectObservable(stream, '^ 16ms !').toBe('-oa 10ms ob', {
        o: opened,
        a: error(1, 10),
        b: error(1, 10),
      });
      scheduler.schedule(() => {
        expect(created.map((s) => s.createdAt)).toEqual([0, 12]);
        expect(created.every((s) => s.readyState === CLOSED)).toBe(true);
      }, 100);
    });
  });

  it('closes the open EventSource on unsubscribe', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const { stream, at, created } = setup(scheduler);
      at(1, (s) => s.open());
      expectObservable(stream, '^ 4ms !').toBe('-o', { o: opened });
      scheduler.schedule(() => expect(created[0]?.closedAt).toBe(5), 10);
    });
  });

  it('asks resumeFrom() afresh at each connection and passes it as last_event_id', () => {
    const scheduler = testScheduler();
    let resume: string | null = null;
    scheduler.run(({ expectObservable }) => {
      const { stream, at, created } = setup(scheduler, { resumeFrom: () => resume });
      at(1, (s) => s.open());
      at(2, (s) => {
        s.message('{"type":"directives","seq":7,"directives":[]}', '7');
        resume = '7';
      });
      at(3, (s) => s.fail());
      at(14, (s) => s.open());
      expectObservable(stream, '^ 20ms !').toBe('-ome 10ms p', {
        o: opened,
        m: { type: 'message', message: { type: 'directives', seq: 7, directives: [] }, lastEventId: '7' },
        e: error(1, 10),
        p: { type: 'open', url: `${streamUrl}&last_event_id=7` },
      });
      scheduler.schedule(() => {
        expect(new URL(created[0]?.url ?? '').searchParams.has('last_event_id')).toBe(false);
        expect(new URL(created[1]?.url ?? '').searchParams.get('last_event_id')).toBe('7');
      }, 19);
    });
  });

  it('treats a throwing EventSource constructor as a failed connection and retries', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable }) => {
      const fakes = fakeEventSources(scheduler);
      let calls = 0;
      const Flaky = class extends fakes.EventSource {
        constructor(url: string, init?: { withCredentials?: boolean }) {
          calls += 1;
          if (calls === 1) throw new SyntaxError('blocked');
          super(url, init);
        }
      };
      const { stream } = setup(scheduler, { EventSource: Flaky });
      scheduler.schedule(() => fakes.latest().open(), 11);
      expectObservable(stream, '^ 20ms !').toBe('a 10ms o', { a: error(1, 10), o: opened });
    });
  });

  it('never completes or errors by itself, however often the connection fails', () => {
    const scheduler = testScheduler();
    const attempts: number[] = [];
    scheduler.run(({ expectObservable }) => {
      const { stream, at } = setup(scheduler, { initialRetryMs: 1, maxRetryMs: 1, backoffMultiplier: 1 });
      for (let frame = 1; frame < 40; frame += 2) at(frame, (s) => s.fail());
      const types = stream.pipe(
        map((signal) => {
          if (signal.type === 'error') attempts.push(signal.attempt);
          return signal.type;
        }),
      );
      expectObservable(types, '^ 50ms !').toBe('-e'.repeat(20), { e: 'error' });
    });
    expect(attempts).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
