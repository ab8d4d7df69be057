// The stories' directive stream as an msw `sse` handler: the registry's real EventSource connects to it, and the
// story sends the envelopes (with their seq) a hub would.
import { type PathParams, type ServerSentEventResolverExtras, sse } from 'msw';

type Connection = ServerSentEventResolverExtras<{ message: string }, PathParams>['client'];

export interface Envelope {
  readonly type: 'directives';
  readonly seq: number;
  readonly audience: string;
  readonly directives: readonly unknown[];
}

export class DirectiveStream {
  readonly handler = sse<{ message: string }>('/api/events', ({ client }) => {
    // A fresh start, as a hub with nothing sent yet says it: the first hello sets the client's starting point.
    client.send({ data: JSON.stringify({ type: 'hello', audience: 'global', last_seq: 0, resumed: false }) });
    this.#connections.push(client);
  });
  #connections: Connection[] = [];

  /** How many EventSource connections the handler has accepted since the last reset. */
  get connections(): number {
    return this.#connections.length;
  }

  /** Sends one envelope (`id:` is its seq, as a hub writes it) on every open connection. */
  send(envelope: Envelope): void {
    for (const connection of this.#connections) {
      connection.send({ id: String(envelope.seq), data: JSON.stringify(envelope) });
    }
  }

  /** Forgets the previous render's connections (its registry closed them when it was disposed). */
  reset(): void {
    this.#connections = [];
  }
}
