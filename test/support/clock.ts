// Fake time for a test file or a describe block: vitest's fake timers before each test, real ones after it.
import { afterEach, beforeEach, vi } from 'vitest';

type FakeTimerOptions = NonNullable<Parameters<typeof vi.useFakeTimers>[0]>;

export interface FakeClockOptions {
  /** The wall-clock time (`Date.now()`) each test starts at; the real time of day when left out. */
  readonly now?: string | number | Date;
  /** Which timer APIs to fake; all of them when left out. */
  readonly toFake?: FakeTimerOptions['toFake'];
}

/** Call at the top of a file (or in a describe block): every test in it runs on fake timers. */
export function withFakeClock(options: FakeClockOptions = {}): void {
  beforeEach(() => {
    vi.useFakeTimers(options.toFake === undefined ? undefined : { toFake: options.toFake });
    if (options.now !== undefined) vi.setSystemTime(new Date(options.now));
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
