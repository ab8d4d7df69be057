// Owns the SSE connection as an Observable: connect, parse frames, and reconnect with our own backoff (SPEC §1.2, §3 Stream).
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { parseFrame, type StreamMessage, utf8ByteLength } from '../protocol/frame-reader';
import { LAST_EVENT_ID_PARAM } from '../protocol/names';
import { backoffDelay } from './backoff';

export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  close(): void;
}

export type EventSourceCtor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

export interface SseStreamOptions {
  url: string;
  clientId: string;
  audience: string;
  clientIdParam: string;
  audienceParam: string;
  withCredentials: boolean;
  EventSource: EventSourceCtor;
  initialRetryMs: number;
  maxRetryMs: number;
  backoffMultiplier: number;
  maxFrameBytes: number;
  /** The last event id to resume after (`<epoch>:<seq>`, or a bare seq), or null for a fresh start. */
  resumeFrom: () => string | null;
  random?: () => number;
  scheduler?: SchedulerLike;
  base?: string;
}

export type SseSignal =
  | { type: 'open'; url: string }
  | { type: 'message'; message: StreamMessage; lastEventId: string | null }
  | { type: 'junk'; reason: string; bytes: number }
  | { type: 'error'; attempt: number; retryInMs: number };

/** Only parses relative urls; it never appears in the result. */
const PLACEHOLDER_BASE = 'http://relative.invalid/';

/**
 * The resume point goes in the `last_event_id` query parameter because a newly constructed
 * EventSource cannot set a `Last-Event-ID` header. A relative url stays relative, so the browser
 * resolves it against the page exactly as it would the configured url.
 */
export function buildStreamUrl(
  o: Pick<SseStreamOptions, 'url' | 'clientId' | 'audience' | 'clientIdParam' | 'audienceParam' | 'base'>,
  resumeFrom: string | null,
): string {
  const absolute = isAbsoluteUrl(o.url);
  const base = o.base ?? globalThis.location?.href ?? PLACEHOLDER_BASE;
  const url = absolute ? new URL(o.url) : new URL(o.url, base);
  url.searchParams.set(o.clientIdParam, o.clientId);
  url.searchParams.set(o.audienceParam, o.audience);
  if (resumeFrom !== null) url.searchParams.set(LAST_EVENT_ID_PARAM, resumeFrom);
  if (absolute || url.origin !== new URL(base).origin) return url.href;
  return `${url.pathname}${url.search}${url.hash}`;
}

function isAbsoluteUrl(url: string): boolean {
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

/**
 * Each subscription owns one connection at a time. On an error the EventSource is closed at once so
 * the browser's built-in retry (fixed delay, no jitter, header-based resume) never races ours; the
 * replacement asks `resumeFrom()` afresh, so it resumes from whatever was seen last.
 */
export function sseStream(o: SseStreamOptions): Observable<SseSignal> {
  return new Observable<SseSignal>((subscriber) => {
    const scheduler = o.scheduler ?? asyncScheduler;
    const random = o.random ?? Math.random;
    let current: EventSourceLike | null = null;
    let reconnect: Subscription | null = null;
    let failures = 0;

    const scheduleReconnect = () => {
      const retryInMs = backoffDelay(failures, o, random);
      failures += 1;
      subscriber.next({ type: 'error', attempt: failures, retryInMs });
      if (!subscriber.closed) reconnect = scheduler.schedule(connect, retryInMs);
    };

    const connect = () => {
      reconnect = null;
      let source: EventSourceLike;
      let url: string;
      try {
        url = buildStreamUrl(o, o.resumeFrom());
        source = new o.EventSource(url, { withCredentials: o.withCredentials });
      } catch {
        // A constructor that throws (a bad url, a blocked scheme) is a failed connection like any other.
        scheduleReconnect();
        return;
      }
      current = source;
      source.onopen = () => {
        if (current !== source) return;
        failures = 0;
        subscriber.next({ type: 'open', url });
      };
      source.onmessage = (ev) => {
        if (current !== source) return;
        const signal = toSignal(ev, o.maxFrameBytes);
        if (signal !== null) subscriber.next(signal);
      };
      source.onerror = () => {
        if (current !== source) return;
        current = null;
        release(source);
        scheduleReconnect();
      };
    };

    connect();
    return () => {
      reconnect?.unsubscribe();
      reconnect = null;
      if (current !== null) release(current);
      current = null;
    };
  });
}

/** Null for frame types this client does not handle: they are not junk, just not ours. */
function toSignal(ev: MessageEvent, maxFrameBytes: number): SseSignal | null {
  const data: unknown = ev.data;
  if (typeof data !== 'string') return { type: 'junk', reason: 'frame data is not text', bytes: 0 };
  const parsed = parseFrame(data, maxFrameBytes);
  if (parsed.ok) {
    const id: unknown = ev.lastEventId;
    return {
      type: 'message',
      message: parsed.message,
      lastEventId: typeof id === 'string' && id !== '' ? id : null,
    };
  }
  if (parsed.ignored === true) return null;
  return { type: 'junk', reason: parsed.reason, bytes: utf8ByteLength(data) };
}

function release(source: EventSourceLike): void {
  source.onopen = null;
  source.onmessage = null;
  source.onerror = null;
  source.close();
}
