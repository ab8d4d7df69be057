// The public types of the directive hub: options, emit, authorize and introspection.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Directive } from '../protocol/directive-check';
import type { Backplane } from './backplane';
import type { DirectiveGraph, DirectiveGraphDeclaration, WriteInput, WriteName } from './graph-types';

export type { Directive } from '../protocol/directive-check';

export interface EmitOptions {
  /** Which subscribers receive the envelope. Default `"global"`. */
  audience?: string;
  /** Echoed as the envelope's `source`, so the client that caused the change skips the echo. */
  source?: string | null;
}

export interface EmitResult {
  seq: number;
}

export interface AuthorizeInput {
  audience: string;
  clientId: string | null;
  headers: Headers;
  /** The absolute request URL. */
  url: string;
}

export type Authorize = (input: AuthorizeInput) => boolean | Promise<boolean>;

export interface DirectiveHubOptions {
  replay?: {
    /** How many envelopes per audience are kept for `Last-Event-ID` replay. Default 1000. */
    maxEvents?: number;
    /**
     * The in-memory backplane forgets an audience with no subscriber and no emit for this long (its
     * seq, log and epoch; a client resuming into it later gets a new epoch and resyncs). Default
     * 3600000 (1 h); 0 keeps every audience. Other backplanes keep their own rules.
     */
    idleAudienceMs?: number;
  };
  /** Interval of `: keep-alive` comment lines. Default 15000; 0 turns them off. */
  heartbeatMs?: number;
  /** Decides who may subscribe to which audience. Default: only `"global"`. */
  authorize?: Authorize;
  /** Where seqs are allocated, envelopes kept and fanned out. Default: in this process's memory. */
  backplane?: Backplane;
  /** A subscriber whose unsent bytes exceed this is disconnected (it reconnects and replays). Default 1 MiB. */
  maxBufferedBytes?: number;
}

export interface HubStats {
  /** Open SSE subscriptions on this instance. */
  subscribers: number;
  /** Open subscriptions per audience; audiences without any are absent. */
  audiences: Record<string, number>;
}

export interface DirectiveHub {
  emit(directives: readonly Directive[], options?: EmitOptions): Promise<EmitResult>;
  /** `emit(graph.directivesFor(write, input), options)`: the directives a declared write needs. */
  emitWrite<D extends DirectiveGraphDeclaration, W extends WriteName<D>, I extends WriteInput<D, W>>(
    graph: DirectiveGraph<D>,
    write: W,
    input: I,
    options?: EmitOptions,
  ): Promise<EmitResult>;
  /** Web-standard handler (Hono, Next.js route handlers, Deno, Bun). Safe to pass unbound. */
  handleRequest(request: Request): Promise<Response>;
  /** node:http / Express / Fastify (`reply.raw`) handler. Safe to pass unbound. */
  nodeHandler(req: IncomingMessage, res: ServerResponse): Promise<void>;
  stats(): HubStats;
  /** Ends every stream, stops heartbeats and releases the backplane. */
  close(): Promise<void>;
}
