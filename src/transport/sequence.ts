// Owns per-audience sequence bookkeeping: whether a stream message is next, a duplicate, or past a gap (SPEC §3 Stream).
import { map, type OperatorFunction } from 'rxjs';
import type { StreamMessage } from '../protocol/frame-reader';

export type SeqObservation =
  | { kind: 'baseline'; audience: string; seq: number }
  | { kind: 'next'; audience: string; seq: number }
  | { kind: 'duplicate'; audience: string; lastSeq: number; incomingSeq: number }
  | { kind: 'gap'; audience: string; lastSeq: number; incomingSeq: number }
  | { kind: 'reset'; audience: string; lastSeq: number; incomingSeq: number }
  | { kind: 'in-sync'; audience: string; seq: number }
  | { kind: 'untracked'; audience: string };

export class SequenceTracker {
  readonly #defaultAudience: string;
  readonly #lastSeq = new Map<string, number>();

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
    const stored = this.#lastSeq.get(audience);
    if (message.type === 'hello') {
      const incomingSeq = message.last_seq;
      if (stored === undefined) {
        this.#lastSeq.set(audience, incomingSeq);
        return { kind: 'baseline', audience, seq: incomingSeq };
      }
      if (incomingSeq < stored) {
        // The server forgot its sequence (a restart without persistence); its numbers are now the truth.
        this.#lastSeq.set(audience, incomingSeq);
        return { kind: 'reset', audience, lastSeq: stored, incomingSeq };
      }
      // A resumed hello promises the replay of everything after `stored`; those envelopes advance the seq.
      if (incomingSeq === stored || message.resumed === true)
        return { kind: 'in-sync', audience, seq: stored };
      this.#lastSeq.set(audience, incomingSeq);
      return { kind: 'gap', audience, lastSeq: stored, incomingSeq };
    }
    const incomingSeq = message.seq;
    if (incomingSeq === undefined) return { kind: 'untracked', audience };
    if (stored === undefined) {
      this.#lastSeq.set(audience, incomingSeq);
      return { kind: 'baseline', audience, seq: incomingSeq };
    }
    if (incomingSeq <= stored) return { kind: 'duplicate', audience, lastSeq: stored, incomingSeq };
    this.#lastSeq.set(audience, incomingSeq);
    if (incomingSeq === stored + 1) return { kind: 'next', audience, seq: incomingSeq };
    return { kind: 'gap', audience, lastSeq: stored, incomingSeq };
  }

  last(audience: string): number | null {
    return this.#lastSeq.get(audience) ?? null;
  }

  /** The stream is opened for the default audience, so that is the seq a reconnect resumes from. */
  lastSeen(): number | null {
    return this.last(this.#defaultAudience);
  }

  forget(): void {
    this.#lastSeq.clear();
  }
}

export function trackSequences(
  tracker: SequenceTracker,
): OperatorFunction<StreamMessage, { message: StreamMessage; observation: SeqObservation }> {
  return map((message) => ({ message, observation: tracker.observe(message) }));
}
