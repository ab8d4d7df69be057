// What the live panel shows: every request the page makes, every directive it receives and what became of
// it, and the directive stream's state (epoch, last seq, reconnects, resyncs), fed by the registry's events.
import type { LifecycleEvent, Registry } from 'verity-xstate';

const MAX_ROWS = 60;

export interface RequestRow {
  readonly n: number;
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly ms: number | null;
}

export type DirectiveOutcome = 'envelope' | 'applied' | 'skipped' | 'rejected' | 'stream';

export interface DirectiveRow {
  readonly n: number;
  readonly at: string;
  readonly outcome: DirectiveOutcome;
  readonly text: string;
}

export interface StreamState {
  readonly phase: 'connecting' | 'open' | 'retrying' | 'closed';
  readonly epoch: string | null;
  readonly lastSeq: number | null;
  readonly audience: string | null;
  readonly hellos: number;
  readonly resyncs: number;
  readonly note: string;
}

export interface ActivitySnapshot {
  readonly requests: readonly RequestRow[];
  readonly directives: readonly DirectiveRow[];
  readonly stream: StreamState;
}

function clock(): string {
  return new Date().toISOString().slice(11, 23);
}

/** The path as the log shows it: a long `ids=` list is shortened to its first few ids and a count. */
function displayPath(url: URL): string {
  const ids = url.searchParams.get('ids')?.split(',') ?? [];
  if (ids.length <= 4) return decodeURIComponent(url.pathname + url.search);
  const search = new URLSearchParams(url.search);
  search.set('ids', `${ids.slice(0, 3).join(',')},…`);
  return `${url.pathname}?${decodeURIComponent(search.toString())} (${ids.length} ids)`;
}

function describeDirective(directive: unknown): string {
  if (typeof directive !== 'object' || directive === null) return JSON.stringify(directive);
  const { op, name, id, params, result } = directive as Record<string, unknown>;
  const target = id !== undefined ? `${String(name)} #${String(id)}` : String(name ?? '');
  const extras = [params ? `params ${JSON.stringify(params)}` : '', result ? 'with result' : '']
    .filter(Boolean)
    .join(', ');
  return `${String(op)} ${target}${extras ? ` (${extras})` : ''}`;
}

export class Activity {
  #snapshot: ActivitySnapshot = {
    requests: [],
    directives: [],
    stream: {
      phase: 'connecting',
      epoch: null,
      lastSeq: null,
      audience: null,
      hellos: 0,
      resyncs: 0,
      note: 'connecting',
    },
  };
  readonly #listeners = new Set<() => void>();
  #counter = 0;
  #clientId: string | null = null;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): ActivitySnapshot => this.#snapshot;

  /** A fetch that records itself in the request log; every request the app makes goes through it. */
  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const n = this.#next();
    const path = displayPath(new URL(request.url));
    const started = performance.now();
    const row: RequestRow = { n, at: clock(), method: request.method, path, status: null, ms: null };
    this.#update({ requests: [row, ...this.#snapshot.requests].slice(0, MAX_ROWS) });
    const settle = (status: number): void => {
      const ms = Math.round(performance.now() - started);
      this.#update({
        requests: this.#snapshot.requests.map((r) => (r.n === n ? { ...r, status, ms } : r)),
      });
    };
    try {
      const response = await fetch(request);
      settle(response.status);
      return response;
    } catch (error) {
      settle(0);
      throw error;
    }
  };

  /** Follows the registry's lifecycle events; returns the unsubscribe. */
  watch(registry: Pick<Registry, 'onLifecycle' | 'clientId'>): () => void {
    this.#clientId = registry.clientId;
    return registry.onLifecycle('*', (event) => this.#onLifecycle(event));
  }

  #from(source: unknown): string {
    if (typeof source !== 'string') return 'the server';
    return `${source.slice(0, 8)} (${source === this.#clientId ? 'this tab' : 'another tab'})`;
  }

  #onLifecycle({ event, detail }: LifecycleEvent): void {
    const stream = this.#snapshot.stream;
    switch (event) {
      case 'sse:open':
        this.#setStream({ phase: 'open', note: 'stream open' });
        return;
      case 'sse:hello': {
        // `epoch` names one run of the server's sequence; servers that do not send one are still understood.
        const epoch = typeof detail.epoch === 'string' ? detail.epoch : null;
        const lastSeq = typeof detail.lastSeq === 'number' ? detail.lastSeq : null;
        this.#setStream({
          epoch,
          lastSeq,
          audience: typeof detail.audience === 'string' ? detail.audience : null,
          hellos: stream.hellos + 1,
          note: detail.resumed ? 'resumed: missed envelopes follow' : 'hello',
        });
        this.#log(
          'stream',
          `hello: last_seq ${lastSeq}${epoch ? `, epoch ${epoch}` : ''}${detail.resumed ? ', resumed' : ''}`,
        );
        return;
      }
      case 'sse:message':
        if (typeof detail.seq === 'number') this.#setStream({ lastSeq: detail.seq });
        this.#log('envelope', `envelope seq ${String(detail.seq)} from ${this.#from(detail.source)}`);
        return;
      case 'sse:error':
        this.#setStream({
          phase: 'retrying',
          note: `reconnecting in ${Math.round(Number(detail.retryInMs) / 100) / 10} s`,
        });
        return;
      case 'sse:disconnect':
        this.#setStream({ phase: 'closed', note: 'disconnected' });
        return;
      case 'sse:gap': {
        const seqs = `had seq ${String(detail.lastSeq)}, the server is at ${String(detail.incomingSeq)}`;
        const what =
          detail.reason === 'epoch'
            ? 'new epoch: the server restarted its sequence'
            : detail.reason === 'reset'
              ? 'sequence reset'
              : 'missed envelopes';
        this.#log('stream', `${what} (${seqs})`);
        return;
      }
      case 'sse:resync-scheduled':
        this.#setStream({ note: 'resync scheduled' });
        this.#log('stream', 'resync scheduled (after a random delay, so clients do not stampede)');
        return;
      case 'sse:resync-dispatch':
        this.#setStream({ resyncs: stream.resyncs + 1, note: 'resynced' });
        this.#log('stream', 'resync: refetching what is on screen, marking the rest stale');
        return;
      case 'directive:processed':
        this.#log('applied', describeDirective(detail.directive));
        return;
      case 'directive:skipped':
        this.#log('skipped', `${describeDirective(detail.directive)}: ${String(detail.reason)}`);
        return;
      case 'directive:rejected':
        this.#log('rejected', `${describeDirective(detail.directive)}: ${String(detail.reason)}`);
        return;
      default:
        return;
    }
  }

  #log(outcome: DirectiveOutcome, text: string): void {
    const row: DirectiveRow = { n: this.#next(), at: clock(), outcome, text };
    this.#update({ directives: [row, ...this.#snapshot.directives].slice(0, MAX_ROWS) });
  }

  #setStream(patch: Partial<StreamState>): void {
    this.#update({ stream: { ...this.#snapshot.stream, ...patch } });
  }

  #next(): number {
    this.#counter += 1;
    return this.#counter;
  }

  #update(patch: Partial<ActivitySnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...patch };
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (error) {
        console.error(error);
      }
    }
  }
}
