// The reconnect delay contract: capped exponential growth, ±20 % jitter, never negative or infinite.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BackoffOptions, backoffDelay } from '../../src/transport/backoff';

const options: BackoffOptions = { initialRetryMs: 2000, maxRetryMs: 30_000, backoffMultiplier: 2 };
const middle = () => 0.5;

describe('backoffDelay', () => {
  it('grows by the multiplier from initialRetryMs', () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, options, middle))).toEqual([2000, 4000, 8000, 16_000]);
  });

  it('is capped by maxRetryMs', () => {
    expect(backoffDelay(4, options, middle)).toBe(30_000);
    expect(backoffDelay(50, options, middle)).toBe(30_000);
    expect(backoffDelay(5000, options, middle)).toBe(30_000);
  });

  it('jitters by at most 20 % either way', () => {
    expect(backoffDelay(0, options, () => 0)).toBeCloseTo(1600);
    expect(backoffDelay(0, options, () => 1)).toBeCloseTo(2400);
    expect(backoffDelay(9, options, () => 1)).toBeCloseTo(36_000);
  });

  it('clamps nonsense instead of returning a negative, NaN or infinite delay', () => {
    const weird: BackoffOptions[] = [
      { initialRetryMs: -5, maxRetryMs: 100, backoffMultiplier: 2 },
      { initialRetryMs: Number.NaN, maxRetryMs: Number.NaN, backoffMultiplier: Number.NaN },
      {
        initialRetryMs: 10,
        maxRetryMs: Number.POSITIVE_INFINITY,
        backoffMultiplier: Number.POSITIVE_INFINITY,
      },
      { initialRetryMs: 0, maxRetryMs: 100, backoffMultiplier: Number.POSITIVE_INFINITY },
      { initialRetryMs: 10, maxRetryMs: -1, backoffMultiplier: -3 },
    ];
    for (const o of weird) {
      for (const attempt of [-1, 0, 3, Number.NaN, Number.POSITIVE_INFINITY]) {
        for (const random of [() => -1, () => 2, () => Number.NaN, Math.random]) {
          const delay = backoffDelay(attempt, o, random);
          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
        }
      }
    }
  });

  it('does not let a multiplier below 1 shrink the delay as failures pile up', () => {
    const o = { initialRetryMs: 1000, maxRetryMs: 10_000, backoffMultiplier: 0.5 };
    expect(backoffDelay(5, o, middle)).toBe(1000);
  });

  it('property: stays within ±20 % of the capped exponential', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 80 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, initialRetryMs, backoffMultiplier, maxRetryMs, r) => {
          const delay = backoffDelay(attempt, { initialRetryMs, maxRetryMs, backoffMultiplier }, () => r);
          const expected = Math.min(initialRetryMs * backoffMultiplier ** attempt, maxRetryMs);
          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(expected * 0.8 - 1e-6);
          expect(delay).toBeLessThanOrEqual(expected * 1.2 + 1e-6);
        },
      ),
    );
  });
});
