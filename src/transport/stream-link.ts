// Connects a directive stream (SSE or any source) to the registry: seq tracking, gaps, resyncs, reconnects.
import { Subject, type Subscription } from 'rxjs';
import {
  parseEnvelopeObject,
  parseFrame,
  type StreamMessage,
  utf8ByteLength,
} from '../protocol/frame-reader';
import type { Lifecycle, Logger } from '../registry/lifecycle';
import { resolveSse, type SseSettings } from '../registry/options';
import type {
  ApplyOptions,
  ApplyReport,
  DirectiveSource,
  ResyncContext,
  SseOptions,
} from '../registry/types';
import { type GapInfo, scheduleResyncs } from './resync-scheduler';
import { SequenceTracker } from './sequence';
import { type SseSignal, sseStream } from './sse-stream';

/** What the link asks of the registry: directives to apply, resyncs to run. */
export interface StreamLinkHost {
  /** What a custom directive source is handed as `applyDirectives`. */
  applyDirectives(directives: unknown, options?: ApplyOptions): Promise<ApplyReport>;
  /** A stream envelope's directives, with its source and the audience it came in on. */
  applyEnvelope(directives: unknown, source: string | undefined, audience: string): Promise<ApplyReport>;
  resync(context: ResyncContext): Promise<void>;
}

/** The link's settings and the registry's event and log channels. */
export interface StreamLinkSetup {
  readonly settings: SseSettings;
  /** `sse.url` or `sse.enabled: true` was given: staying offline for want of an EventSource deserves a warning. */
  readonly requested: boolean;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  readonly clientId: string;
}

type Phase = 'idle' | 'connecting' | 'open' | 'retrying';

export class StreamLink {
  readonly #host: StreamLinkHost;
  readonly #setup: StreamLinkSetup;
  #settings: SseSettings;
  readonly #tracker: SequenceTracker;
  #gaps = new Subject<GapInfo>();
  #resyncs: Subscription | null = null;
  #resyncPending = false;
  #connection: Subscription | null = null;
  #phase: Phase = 'idle';
  #customCleanup: (() => void) | null = null;
  #custom = false;
  #disposed = false;
  #detachBrowser: (() => void) | null = null;

  constructor(host: StreamLinkHost, setup: StreamLinkSetup) {
    this.#host = host;
    this.#setup = setup;
    this.#settings = setup.settings;
    this.#tracker = new SequenceTracker(this.#settings.audience);
    this.#watchResyncs();
  }

  start(): void {
    this.#detachBrowser = this.#watchBrowser();
    if (!this.#settings.EventSource) {
      if (this.#setup.requested) this.#warnNoEventSource();
      return;
    }
    if (this.#settings.enabled && this.#settings.connectOnInit) this.connect();
  }

  state(): {
    enabled: boolean;
    connected: boolean;
    url: string;
    audience: string;
    lastSeq: Record<string, number>;
  } {
    const lastSeq: Record<string, number> = {};
    const seq = this.#tracker.last(this.#settings.audience);
    if (seq !== null) lastSeq[this.#settings.audience] = seq;
    return {
      enabled: this.#settings.enabled,
      connected: this.#phase === 'open' || (this.#custom && this.#customCleanup !== null),
      url: this.#settings.url,
      audience: this.#settings.audience,
      lastSeq,
    };
  }

  /** One envelope from any transport: an object, or a JSON string as it came off the wire. */
  ingest(envelope: unknown): void {
    const parsed =
      typeof envelope === 'string'
        ? parseFrame(envelope, this.#settings.maxFrameBytes)
        : parseEnvelopeObject(envelope);
    if (!parsed.ok) {
      if (!parsed.ignored)
        this.#junk(parsed.reason, typeof envelope === 'string' ? utf8ByteLength(envelope) : 0);
      return;
    }
    this.#handle(parsed.message);
  }

  connect(): void {
    if (this.#disposed || this.#connection) return;
    if (this.#custom) {
      this.#connectCustom();
      return;
    }
    const settings = this.#settings;
    const EventSource = settings.EventSource;
    if (!EventSource) {
      this.#warnNoEventSource();
      return;
    }
    this.#phase = 'connecting';
    this.#connection = sseStream({
      url: settings.url,
      clientId: this.#setup.clientId,
      audience: settings.audience,
      clientIdParam: settings.clientIdParam,
      audienceParam: settings.audienceParam,
      withCredentials: settings.withCredentials,
      EventSource,
      initialRetryMs: settings.initialRetryMs,
      maxRetryMs: settings.maxRetryMs,
      backoffMultiplier: settings.backoffMultiplier,
      maxFrameBytes: settings.maxFrameBytes,
      resumeFrom: () => this.#tracker.resumePoint(settings.audience),
    }).subscribe((signal) => this.#onSignal(signal));
  }

  /** Closes the connection and cancels pending reconnects and resyncs; always reported, connected or not. */
  disconnect(): void {
    const wasConnected = this.#close();
    this.#setup.lifecycle.emit('sse:disconnect', { reason: 'requested', wasConnected });
    this.#cancelResync();
  }

  /**
   * A new connection does not bring back what a gap lost (it resumes after the gap's seq), so a
   * pending resync survives it; only `disconnect` gives up on the stream's data.
   */
  reconnect(): void {
    this.#closeReported();
    this.connect();
  }

  configure(partial: SseOptions): void {
    const { logger } = this.#setup;
    if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
      logger.log('warn', `configureSse needs an object of SSE options, got ${kindOf(partial)}; ignored.`);
      return;
    }
    const previous = this.#settings;
    const next = resolveSse(partial, previous, (message) => logger.log('warn', message));
    this.#settings = next;
    const replacing = this.#custom && this.#customFailed;
    if (replacing) {
      // A custom source whose connect threw is replaced by SSE on the next configureSse.
      this.#custom = false;
      this.#customSource = null;
      this.#customFailed = false;
    }
    const moved =
      next.url !== previous.url ||
      next.audience !== previous.audience ||
      next.withCredentials !== previous.withCredentials ||
      next.clientIdParam !== previous.clientIdParam ||
      next.audienceParam !== previous.audienceParam ||
      next.EventSource !== previous.EventSource;
    if (!next.enabled) {
      this.disconnect();
      return;
    }
    if (!this.#custom && !next.EventSource) {
      if (partial.url !== undefined || partial.enabled === true) this.#warnNoEventSource();
      return;
    }
    if (moved && this.#connection) this.reconnect();
    else if (!this.#connection && (partial.enabled === true || replacing)) this.connect();
  }

  setSource(source: DirectiveSource): void {
    if (!source || typeof source.connect !== 'function') {
      throw new TypeError(
        'configureDirectiveSource needs { connect({ ingestEnvelope, applyDirectives, clientId }) }.',
      );
    }
    this.#closeReported();
    this.#custom = true;
    this.#customSource = source;
    this.#connectCustom();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#closeReported();
    this.#cancelResync();
    this.#disposed = true;
    this.#resyncs?.unsubscribe();
    this.#resyncs = null;
    this.#detachBrowser?.();
    this.#detachBrowser = null;
  }

  #customSource: DirectiveSource | null = null;
  #customFailed = false;

  /** A source's `connect` is foreign code: if it throws, the registry carries on offline and says so. */
  #connectCustom(): void {
    const source = this.#customSource;
    if (!source || this.#customCleanup) return;
    let cleanup: unknown;
    try {
      cleanup = source.connect({
        ingestEnvelope: (envelope) => this.ingest(envelope),
        applyDirectives: (directives, options) => this.#host.applyDirectives(directives, options),
        clientId: this.#setup.clientId,
      });
    } catch (error) {
      this.#customFailed = true;
      this.#setup.lifecycle.emit('sse:error', { error });
      this.#setup.logger.log(
        'warn',
        'The directive source threw from connect(); the registry stays offline until configureDirectiveSource or configureSse replaces it.',
        error,
      );
      return;
    }
    this.#customFailed = false;
    this.#customCleanup = typeof cleanup === 'function' ? (cleanup as () => void) : () => {};
  }

  #warnNoEventSource(): void {
    this.#setup.logger.log(
      'warn',
      'SSE is offline: no EventSource exists here. Pass one as createRegistry({ sse: { EventSource } }) (option sse.EventSource; in Node, the eventsource package).',
    );
  }

  /** Ends the connection and any pending reconnect; says whether there was one. */
  #close(): boolean {
    const wasConnected = this.#connection !== null || this.#customCleanup !== null;
    this.#connection?.unsubscribe();
    this.#connection = null;
    this.#closeCustom();
    this.#phase = 'idle';
    return wasConnected;
  }

  /** `#close`, reporting `sse:disconnect` when a connection ended. */
  #closeReported(): void {
    if (this.#close())
      this.#setup.lifecycle.emit('sse:disconnect', { reason: 'requested', wasConnected: true });
  }

  #closeCustom(): void {
    const cleanup = this.#customCleanup;
    this.#customCleanup = null;
    if (!cleanup) return;
    try {
      cleanup();
    } catch (error) {
      this.#setup.logger.log('error', 'A directive source cleanup threw.', error);
    }
  }

  #onSignal(signal: SseSignal): void {
    const { lifecycle } = this.#setup;
    switch (signal.type) {
      case 'open':
        this.#phase = 'open';
        lifecycle.emit('sse:open', { url: signal.url, audience: this.#settings.audience });
        return;
      case 'message':
        this.#handle(signal.message);
        return;
      case 'junk':
        this.#junk(signal.reason, signal.bytes);
        return;
      case 'error':
        this.#phase = 'retrying';
        lifecycle.emit('sse:error', { attempt: signal.attempt, retryInMs: signal.retryInMs });
        return;
    }
  }

  #handle(message: StreamMessage): void {
    const { lifecycle } = this.#setup;
    // The tracker defaults to the audience configured at start; an unlabelled message is the current audience's.
    const observation = this.#tracker.observe(
      message.audience === undefined ? { ...message, audience: this.#settings.audience } : message,
    );
    if (message.type === 'hello') {
      lifecycle.emit('sse:hello', {
        audience: observation.audience,
        lastSeq: message.last_seq,
        resumed: message.resumed === true,
        // Null from a server that sends no epoch; a new value means the server's sequence restarted.
        epoch: message.epoch ?? null,
      });
    } else {
      lifecycle.emit('sse:message', {
        audience: observation.audience,
        seq: message.seq ?? null,
        source: message.source ?? null,
      });
    }
    if (observation.kind === 'duplicate') return;
    if (observation.kind === 'gap' || observation.kind === 'reset' || observation.kind === 'epoch') {
      const gap: GapInfo = {
        audience: observation.audience,
        lastSeq: observation.lastSeq,
        incomingSeq: observation.incomingSeq,
        reason: observation.kind,
      };
      lifecycle.emit('sse:gap', {
        audience: gap.audience,
        lastSeq: gap.lastSeq,
        incomingSeq: gap.incomingSeq,
        reason: gap.reason,
      });
      if (this.#settings.resyncOnGap) {
        if (!this.#resyncPending) lifecycle.emit('sse:resync-scheduled', { ...gap });
        this.#resyncPending = true;
        this.#gaps.next(gap);
      }
    }
    if (message.type === 'directives') {
      void this.#host.applyEnvelope(message.directives, message.source, observation.audience);
    }
  }

  #junk(reason: string, bytes: number): void {
    this.#setup.lifecycle.emit('sse:junk', { reason, bytes });
    this.#setup.logger.log('warn', `Ignored a stream frame: ${reason}`);
  }

  #watchResyncs(): void {
    const settings = () => this.#settings;
    this.#resyncs = this.#gaps
      .pipe(
        scheduleResyncs({
          get minMs() {
            return settings().resyncJitterMinMs;
          },
          get maxMs() {
            return settings().resyncJitterMaxMs;
          },
          random: Math.random,
        }),
      )
      .subscribe((context) => {
        this.#resyncPending = false;
        let proceed = true;
        try {
          proceed = this.#settings.onResync?.(context) !== false;
        } catch (error) {
          this.#setup.logger.log('error', 'onResync threw; resyncing anyway.', error);
        }
        if (proceed) void this.#host.resync(context);
      });
  }

  #cancelResync(): void {
    if (!this.#resyncPending) return;
    this.#resyncPending = false;
    this.#resyncs?.unsubscribe();
    this.#gaps = new Subject<GapInfo>();
    this.#watchResyncs();
  }

  /** Browsers: reconnect at once when the network returns or a hidden tab with a dropped stream is shown. */
  #watchBrowser(): (() => void) | null {
    const target = globalThis as {
      addEventListener?: (type: string, listener: () => void) => void;
      removeEventListener?: (type: string, listener: () => void) => void;
      document?: {
        visibilityState?: string;
        addEventListener?: (t: string, l: () => void) => void;
        removeEventListener?: (t: string, l: () => void) => void;
      };
    };
    if (typeof target.addEventListener !== 'function') return null;
    const revive = () => {
      if (this.#phase === 'retrying') this.reconnect();
    };
    const onVisible = () => {
      if (target.document?.visibilityState === 'visible') revive();
    };
    target.addEventListener('online', revive);
    target.document?.addEventListener?.('visibilitychange', onVisible);
    return () => {
      target.removeEventListener?.('online', revive);
      target.document?.removeEventListener?.('visibilitychange', onVisible);
    };
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
