// Owns the reconnect delay rule: capped exponential growth with ±20 % jitter (SPEC §3 Stream).

export interface BackoffOptions {
  initialRetryMs: number;
  maxRetryMs: number;
  backoffMultiplier: number;
}

/** Spread so that clients dropped by one server restart do not all come back in the same instant. */
const JITTER = 0.2;

/** Timers fire at once for delays past 2³¹−1 ms, which would turn a huge backoff into a hot loop. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Delay before reconnect attempt `attempt` (0 for the first after a drop):
 * min(initial × multiplier^attempt, max) × (1 ± 0.2). Nonsense options (negative, NaN, a
 * multiplier below 1 that would make retries hastier the longer a server stays down) are
 * clamped rather than thrown, since this runs inside an error handler.
 */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number): number {
  const n = clamp(Math.floor(attempt), 0, Number.MAX_SAFE_INTEGER, 0);
  const initial = clamp(o.initialRetryMs, 0, MAX_TIMER_MS, 0);
  const multiplier = clamp(o.backoffMultiplier, 1, Number.POSITIVE_INFINITY, 1);
  const cap = clamp(o.maxRetryMs, 0, MAX_TIMER_MS, MAX_TIMER_MS);
  // 0 × ∞ is NaN, and a zero initial delay stays zero however many attempts pass.
  const base = initial === 0 ? 0 : Math.min(initial * multiplier ** n, cap);
  const unit = clamp(random(), 0, 1, 0.5);
  return Math.min(base * (1 + (2 * unit - 1) * JITTER), MAX_TIMER_MS);
}

function clamp(value: number, min: number, max: number, ifNaN: number): number {
  return Number.isNaN(value) ? ifNaN : Math.min(Math.max(value, min), max);
}
