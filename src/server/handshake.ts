// What a subscriber is told first: the hello's last_seq and resumed flag, and what is replayed after it.
import type { BackplaneEnvelope, BackplaneSnapshot } from './backplane';

export interface HandshakePlan {
  lastSeq: number;
  resumed: boolean;
  replay: readonly BackplaneEnvelope[];
}

/**
 * Replay is all-or-nothing: a partial replay would look gap-free to the client while it is not.
 * A resume point above the current seq means the server's sequence was reset.
 */
export function planHandshake(resumeFrom: number | null, snapshot: BackplaneSnapshot): HandshakePlan {
  const { lastSeq, missed } = snapshot;
  if (resumeFrom === null || resumeFrom > lastSeq || missed === null) {
    return { lastSeq, resumed: false, replay: [] };
  }
  return { lastSeq, resumed: true, replay: missed };
}
