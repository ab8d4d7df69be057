// Owns per-audience sequence bookkeeping: whether a stream message is next, a duplicate, past a gap, or of a new epoch (SPEC §3 Stream).
import { map, type OperatorFunction } from 'rxjs';
import { formatEventId } from '../protocol/epoch';
import type { StreamMessage } from '../protocol/frame-reader';

export type SeqObservation =
  | { kind: 'baseline'; audience: string; seq: number }
  | { kind: 'next'; audience: string; seq: number }
  | { kind: 'duplicate'; audience: string; lastSeq: number; incomingSeq: number }
  | { kind: 'gap'; audience: string; lastSeq: number; incomingSeq: number }
  | { kind: 'reset'; audience: string; lastSeq: number; incomingSeq: number }
  | { kind: 'epoch'; audience: string; lastSeq: number; incomingSeq: number }
  | { kind: 'in-sync'; audience: string; seq: number }
  | { kind: 'untracked'; audience: string };

interface Position {
  seq: number;
  /** Null until a hello names one, and again after a hello from a server without epochs. */
  epoch: string | null;
}

export class SequenceTracker {
  readonly #defaultAudience: string;
  readonly #positions = new Map<string, Position>();

  constructor(defaultAudience: string) {
    this.#defaultAudience = defaultAudience;
  }

  /**
   * Classifies a message and records what it proves about the audience's seq. Own-source
   * envelopes go through here too: skipping their directives is the caller's business, but their
   * seq is real, and leaving it out would make the next envelope look like a gap.
   */
  observe(message: StreamMessage): SeqObservation {
    const audience = message.audience ?? this.#defaultAudience;
    const stored = this.#positions.get(audience);
    if (message.type === 'hello') {
      const incomingSeq = message.last_seq;
      const epoch = message.epoch ?? null;
      this.#positions.set(audience, { seq: stored?.seq ?? incomingSeq, epoch });
      if (stored === undefined) {
        return { kind: 'baseline', audience, seq: incomingSeq };
      }
      const lastSeq = stored.seq;
      if (epoch !== null && stored.epoch !== null && epoch !== stored.epoch) {
        // Another run of the sequence: its numbers say nothing about what this client missed.
        this.#setSeq(audience, incomingSeq);
        return { kind: 'epoch', audience, lastSeq, incomingSeq };
      }
      if (incomingSeq < lastSeq) {
        // The server forgot its sequence (a restart without persistence); its numbers are now the truth.
        this.#setSeq(audience, incomingSeq);
        return { kind: 'reset', audience, lastSeq, incomingSeq };
      }
      // A resumed hello promises the replay of everything after `stored`; those envelopes advance the seq.
      if (incomingSeq === lastSeq || message.resumed === true)
        return { kind: 'in-sync', audience, seq: lastSeq };
      this.#setSeq(audience, incomingSeq);
      return { kind: 'gap', audience, lastSeq, incomingSeq };
    }
    const incomingSeq = message.seq;
    if (incomingSeq === undefined) return { kind: 'untracked', audience };
    if (stored === undefined) {
      this.#positions.set(audience, { seq: incomingSeq, epoch: null });
      return { kind: 'baseline', audience, seq: incomingSeq };
    }
    const lastSeq = stored.seq;
    if (incomingSeq <= lastSeq) return { kind: 'duplicate', audience, lastSeq, incomingSeq };
    this.#setSeq(audience, incomingSeq);
    if (incomingSeq === lastSeq + 1) return { kind: 'next', audience, seq: incomingSeq };
    return { kind: 'gap', audience, lastSeq, incomingSeq };
  }

  last(audience: string): number | null {
    return this.#positions.get(audience)?.seq ?? null;
  }

  /**
   * What a reconnect sends as its last event id: `<epoch>:<seq>`, or the bare seq when no epoch is
   * known (a server without epochs reads only that).
   */
  resumePoint(audience: string): string | null {
    const position = this.#positions.get(audience);
    return position === undefined ? null : formatEventId(position);
  }

  forget(): void {
    this.#positions.clear();
  }

  #setSeq(audience: string, seq: number): void {
    const position = this.#positions.get(audience);
    if (position) position.seq = seq;
  }
}

export function trackSequences(
  tracker: SequenceTracker,
): OperatorFunction<StreamMessage, { message: StreamMessage; observation: SeqObservation }> {
  return map((message) => ({ message, observation: tracker.observe(message) }));
}
