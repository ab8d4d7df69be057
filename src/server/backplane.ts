// The contract between the hub and where envelopes live: seq allocation, replay storage, fan-out.
import type { EnvelopeTemplate } from '../protocol/frame-writer';

export type { EnvelopeTemplate } from '../protocol/frame-writer';

export interface BackplaneEnvelope {
  readonly audience: string;
  readonly seq: number;
  /** The envelope's JSON text, exactly as it goes on the `data:` line. */
  readonly data: string;
}

export interface BackplaneSnapshot {
  /** The audience's current seq (0 before any emit). */
  readonly lastSeq: number;
  /**
   * The envelopes after the asked seq up to `lastSeq`, in order — or `null` when the backplane no
   * longer holds every one of them. Empty when the asked seq is at or above `lastSeq`.
   */
  readonly missed: readonly BackplaneEnvelope[] | null;
}

export interface BackplaneListener {
  /** Every envelope of every audience, from any instance, in seq order per audience. */
  envelope(envelope: BackplaneEnvelope): void;
  /** Delivery was interrupted (e.g. the connection to Redis dropped) and is whole again. */
  reset(): void;
}

export interface Backplane {
  /**
   * Allocates the audience's next seq, keeps `head + seq + tail` for replay (at most `retain`
   * per audience) and fans it out, as one atomic step. Resolves with the seq.
   */
  publish(audience: string, envelope: EnvelopeTemplate, options: { retain: number }): Promise<number>;
  /** Reads the current seq and, when `afterSeq` is given, the envelopes after it — atomically. */
  snapshot(audience: string, afterSeq: number | null): Promise<BackplaneSnapshot>;
  subscribe(listener: BackplaneListener): () => void;
  close(): Promise<void>;
}
