/**
 * Counts failed authentications per caller (a remote address) in a fixed window and says
 * when a caller has had too many: the gateway and the admin endpoints then refuse it
 * without checking anything, so guessing secrets costs a guesser a window per few tries,
 * and a flood of bad attempts cannot fill the log. Pure: `now` comes in with every call.
 */
export interface FailureLimits {
  /** Failures a caller may have in one window before it is refused outright. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Callers remembered at once; past it the oldest is forgotten (memory stays bounded). */
  readonly maxCallers: number;
}

/** 10 failures a minute: an agent with a wrong secret retries every 10 s at most (its backoff cap), so it never reaches it. */
export const AUTH_FAILURE_LIMITS: FailureLimits = { maxFailures: 10, windowMs: 60_000, maxCallers: 4096 };

interface Window {
  start: number;
  failures: number;
}

export class FailureLimiter {
  readonly #limits: FailureLimits;
  /** In insertion order, so the first entry is the oldest window. */
  readonly #callers = new Map<string, Window>();

  constructor(limits: FailureLimits = AUTH_FAILURE_LIMITS) {
    this.#limits = limits;
  }

  /** Whether `caller` has used up its failures for the current window. */
  blocked(caller: string, now: number): boolean {
    const w = this.#current(caller, now);
    return w !== undefined && w.failures >= this.#limits.maxFailures;
  }

  /**
   * Records a failure and returns how many the caller has had in this window: callers log
   * the first and the one that reaches the limit, so a flood of attempts is two lines.
   */
  fail(caller: string, now: number): number {
    let w = this.#current(caller, now);
    if (!w) {
      if (this.#callers.size >= this.#limits.maxCallers) this.#callers.delete(this.#callers.keys().next().value!);
      w = { start: now, failures: 0 };
      this.#callers.set(caller, w);
    }
    return ++w.failures;
  }

  get maxFailures(): number {
    return this.#limits.maxFailures;
  }

  get windowMs(): number {
    return this.#limits.windowMs;
  }

  /** Callers tracked now (for tests of the bound). */
  get size(): number {
    return this.#callers.size;
  }

  #current(caller: string, now: number): Window | undefined {
    const w = this.#callers.get(caller);
    if (w && now - w.start >= this.#limits.windowMs) {
      this.#callers.delete(caller);
      return undefined;
    }
    return w;
  }
}
