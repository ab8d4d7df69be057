// The contract between the hub and where envelopes live: seq and epoch allocation, replay storage, fan-out.
import type { ResumePoint } from '../protocol/epoch';
import type { EnvelopeTemplate } from '../protocol/frame-writer';

export type { EnvelopeTemplate } from '../protocol/frame-writer';

export interface BackplaneEnvelope {
  readonly audience: string;
  /** The run of the audience's sequence this envelope belongs to. */
  readonly epoch: string;
  readonly seq: number;
  /** The envelope's JSON text, exactly as it goes on the `data:` line. */
  readonly data: string;
}

/** A resume point a client sent with an epoch: only those can be resumed. */
export type BackplaneResumePoint = ResumePoint & { readonly epoch: string };

export interface BackplaneSnapshot {
  /** The audience's current epoch; a backplane that has none yet starts one here. */
  readonly epoch: string;
  /** The audience's current seq in that epoch (0 before any emit). */
  readonly lastSeq: number;
  /**
   * The envelopes after the asked point up to `lastSeq`, in order — or `null` when the asked
   * epoch is not the current one, or the backplane no longer holds every one of them. Empty when
   * nothing was asked or the asked seq is at or above `lastSeq`.
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
   * Allocates the audience's next seq (starting an epoch if it has none), keeps
   * `head + seq + tail` for replay (at most `retain` per audience) and fans it out, as one atomic
   * step. Resolves with the seq.
   */
  publish(audience: string, envelope: EnvelopeTemplate, options: { retain: number }): Promise<number>;
  /** Reads the current epoch and seq and, when `after` is given, the envelopes after it — atomically. */
  snapshot(audience: string, after: BackplaneResumePoint | null): Promise<BackplaneSnapshot>;
  subscribe(listener: BackplaneListener): () => void;
  close(): Promise<void>;
}
