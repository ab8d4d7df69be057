// Resolves createRegistry options: defaults, seed aliases, and validation of numbers.

import { VerityError } from '../protocol/errors';
import { AUDIENCE_PARAM, CLIENT_ID_PARAM, DEFAULT_AUDIENCE } from '../protocol/names';
import type { EventSourceCtor } from '../transport/sse-stream';
import type { LogLevel, RegistryOptions, ResyncContext } from './types';

export interface ResolvedOptions {
  readonly bulk: { readonly delayMs: number; readonly maxBatchSize: number };
  readonly memory: {
    readonly enabled: boolean;
    readonly maxItemsPerType: number;
    readonly maxCollectionsPerName: number;
    readonly itemTtlMs: number;
    readonly collectionTtlMs: number;
    readonly sweepIntervalMs: number;
  };
  readonly stalenessMs: number;
  readonly errorRetryMs: number;
  readonly sse: SseSettings;
  readonly directives: { readonly idempotencyTtlMs: number; readonly idempotencyMaxKeys: number };
  readonly limits: { readonly maxDirectivesPerBatch: number };
  readonly logging: { readonly level: LogLevel; readonly prefix: string };
}

export interface SseSettings {
  enabled: boolean;
  url: string;
  audience: string;
  clientIdParam: string;
  audienceParam: string;
  withCredentials: boolean;
  connectOnInit: boolean;
  initialRetryMs: number;
  maxRetryMs: number;
  backoffMultiplier: number;
  resyncOnGap: boolean;
  resyncJitterMinMs: number;
  resyncJitterMaxMs: number;
  resyncWindowMs: number;
  maxFrameBytes: number;
  onResync: ((context: ResyncContext) => boolean | undefined) | undefined;
  EventSource: EventSourceCtor | undefined;
}

const MINUTE = 60_000;

function count(value: unknown, fallback: number, path: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new VerityError('INVALID_OPTIONS', `Option ${path} must be a number ≥ 0 (got ${String(value)}).`);
  }
  return value;
}

function text(value: unknown, fallback: string, path: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '') {
    throw new VerityError('INVALID_OPTIONS', `Option ${path} must be a non-empty string.`);
  }
  return value;
}

function flag(value: unknown, fallback: boolean): boolean {
  return value === undefined ? fallback : Boolean(value);
}

export function defaultEventSource(): EventSourceCtor | undefined {
  const candidate = (globalThis as { EventSource?: unknown }).EventSource;
  return typeof candidate === 'function' ? (candidate as EventSourceCtor) : undefined;
}

/** Receives what resolving options corrected instead of refusing (logged once the registry's logger exists). */
export type OptionWarning = (message: string) => void;

const ignore: OptionWarning = () => {};

export function resolveSse(
  input: RegistryOptions['sse'] = {},
  base?: SseSettings,
  warn: OptionWarning = ignore,
): SseSettings {
  const d = base;
  const EventSource = input.EventSource ?? d?.EventSource ?? defaultEventSource();
  const settings: SseSettings = {
    enabled: flag(input.enabled, d?.enabled ?? EventSource !== undefined),
    url: text(input.url, d?.url ?? '/api/events', 'sse.url'),
    audience: text(input.audience, d?.audience ?? DEFAULT_AUDIENCE, 'sse.audience'),
    clientIdParam: text(input.clientIdParam, d?.clientIdParam ?? CLIENT_ID_PARAM, 'sse.clientIdParam'),
    audienceParam: text(input.audienceParam, d?.audienceParam ?? AUDIENCE_PARAM, 'sse.audienceParam'),
    withCredentials: flag(input.withCredentials, d?.withCredentials ?? false),
    connectOnInit: flag(input.connectOnInit, d?.connectOnInit ?? true),
    initialRetryMs: count(input.initialRetryMs, d?.initialRetryMs ?? 2000, 'sse.initialRetryMs'),
    maxRetryMs: count(input.maxRetryMs, d?.maxRetryMs ?? 30_000, 'sse.maxRetryMs'),
    backoffMultiplier: count(
      input.backoffMultiplier ?? input.retryBackoffFactor,
      d?.backoffMultiplier ?? 2,
      'sse.backoffMultiplier',
    ),
    resyncOnGap: flag(input.resyncOnGap, d?.resyncOnGap ?? true),
    resyncJitterMinMs: count(input.resyncJitterMinMs, d?.resyncJitterMinMs ?? 1500, 'sse.resyncJitterMinMs'),
    resyncJitterMaxMs: count(input.resyncJitterMaxMs, d?.resyncJitterMaxMs ?? 3500, 'sse.resyncJitterMaxMs'),
    resyncWindowMs: count(input.resyncWindowMs, d?.resyncWindowMs ?? 5 * MINUTE, 'sse.resyncWindowMs'),
    maxFrameBytes: count(input.maxFrameBytes, d?.maxFrameBytes ?? 1024 * 1024, 'sse.maxFrameBytes'),
    onResync: input.onResync ?? d?.onResync,
    EventSource,
  };
  if (settings.resyncJitterMaxMs < settings.resyncJitterMinMs) {
    warn(
      `Option sse.resyncJitterMaxMs (${settings.resyncJitterMaxMs}) is below sse.resyncJitterMinMs (${settings.resyncJitterMinMs}); using ${settings.resyncJitterMinMs}.`,
    );
    settings.resyncJitterMaxMs = settings.resyncJitterMinMs;
  }
  return settings;
}

export function resolveOptions(options: RegistryOptions = {}, warn: OptionWarning = ignore): ResolvedOptions {
  const memory = options.memory ?? {};
  const level = options.logging?.level ?? 'warn';
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level)) {
    throw new VerityError(
      'INVALID_OPTIONS',
      `Option logging.level must be debug, info, warn, error or silent.`,
    );
  }
  const maxBatchSize = count(options.bulk?.maxBatchSize, 100, 'bulk.maxBatchSize');
  if (maxBatchSize < 1) throw new VerityError('INVALID_OPTIONS', 'Option bulk.maxBatchSize must be ≥ 1.');
  return {
    bulk: { delayMs: count(options.bulk?.delayMs, 50, 'bulk.delayMs'), maxBatchSize },
    memory: {
      enabled: flag(memory.enabled, true),
      maxItemsPerType: count(memory.maxItemsPerType, 512, 'memory.maxItemsPerType'),
      maxCollectionsPerName: count(
        memory.maxCollectionsPerName ?? memory.maxCollectionRefsPerCollection,
        12,
        'memory.maxCollectionsPerName',
      ),
      itemTtlMs: count(memory.itemTtlMs ?? memory.itemEntryTtlMs, 15 * MINUTE, 'memory.itemTtlMs'),
      collectionTtlMs: count(
        memory.collectionTtlMs ?? memory.collectionEntryTtlMs,
        10 * MINUTE,
        'memory.collectionTtlMs',
      ),
      sweepIntervalMs: count(
        memory.sweepIntervalMs ?? memory.pruneIntervalMs,
        MINUTE,
        'memory.sweepIntervalMs',
      ),
    },
    stalenessMs: count(options.stalenessMs, 15_000, 'stalenessMs'),
    errorRetryMs: count(options.errorRetryMs, 30_000, 'errorRetryMs'),
    sse: resolveSse(options.sse, undefined, warn),
    directives: {
      idempotencyTtlMs: count(
        options.directives?.idempotencyTtlMs,
        5 * MINUTE,
        'directives.idempotencyTtlMs',
      ),
      idempotencyMaxKeys: count(
        options.directives?.idempotencyMaxKeys,
        2048,
        'directives.idempotencyMaxKeys',
      ),
    },
    limits: {
      maxDirectivesPerBatch: count(
        options.limits?.maxDirectivesPerBatch,
        1000,
        'limits.maxDirectivesPerBatch',
      ),
    },
    logging: { level, prefix: options.logging?.prefix ?? '[Verity]' },
  };
}
