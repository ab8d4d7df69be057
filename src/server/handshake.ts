// What a subscriber is told first: the hello's epoch, last_seq and resumed flag, and what is replayed after it.
import type { ResumePoint } from '../protocol/epoch';
import type { BackplaneEnvelope, BackplaneSnapshot } from './backplane';

export interface HandshakePlan {
  epoch: string;
  lastSeq: number;
  resumed: boolean;
  replay: readonly BackplaneEnvelope[];
}

/**
 * Replay is all-or-nothing: a partial replay would look gap-free to the client while it is not.
 * Only a point in the current epoch can be resumed: a seq of another run (or of no known run, a
 * bare number) names different envelopes, so the client is told the new epoch instead.
 */
export function planHandshake(resumeFrom: ResumePoint | null, snapshot: BackplaneSnapshot): HandshakePlan {
  const { epoch, lastSeq, missed } = snapshot;
  const resumable =
    resumeFrom !== null && resumeFrom.epoch === epoch && resumeFrom.seq <= lastSeq && missed !== null;
  return { epoch, lastSeq, resumed: resumable, replay: resumable ? missed : [] };
}
