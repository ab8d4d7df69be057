// Whether a connection may be used now: up, down (fail at once), or still starting (wait for it).
import { VerityError } from '../protocol/errors';

type GateState = 'starting' | 'up' | 'down';

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

export class ConnectionGate {
  readonly #name: string;
  #state: GateState = 'starting';
  #reason = 'not connected yet';
  #waiters: Waiter[] = [];

  constructor(name: string) {
    this.#name = name;
  }

  get isUp(): boolean {
    return this.#state === 'up';
  }

  markUp(): void {
    this.#state = 'up';
    this.#settle();
  }

  markDown(reason: string): void {
    this.#state = 'down';
    this.#reason = reason;
    this.#settle();
  }

  /** Resolves when up; rejects at once when down, so callers fail loudly instead of queueing. */
  whenUp(): Promise<void> {
    if (this.#state === 'up') return Promise.resolve();
    if (this.#state === 'down') return Promise.reject(this.#unavailable());
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #settle(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (this.#state === 'up') waiter.resolve();
      else waiter.reject(this.#unavailable());
    }
  }

  #unavailable(): VerityError {
    return new VerityError(
      'BACKPLANE_UNAVAILABLE',
      `The ${this.#name} is unreachable (${this.#reason}): nothing was emitted or read. Retry once it is back.`,
    );
  }
}
