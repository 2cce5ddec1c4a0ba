/**
 * Slows down guessing: after `freeFailures` failed sign-ins under one key (a user name, a
 * client address, a token id), each further failure locks the key for twice as long as the one
 * before, from `baseDelayMs` up to `maxDelayMs`; a locked key is refused without checking the
 * password (answered 429 with Retry-After). A success clears the key; a key quiet for
 * `forgetAfterMs` starts again. In memory, per replica; at most `maxKeys` keys (oldest dropped).
 */
export interface LoginThrottleOptions {
  freeFailures: number;
  baseDelayMs?: number;
  maxDelayMs: number;
  forgetAfterMs?: number;
  maxKeys?: number;
  now: () => number;
}

interface Entry {
  failures: number;
  lockedUntilMs: number;
  lastFailureMs: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly opts: Required<LoginThrottleOptions>;

  constructor(opts: LoginThrottleOptions) {
    this.opts = {
      baseDelayMs: 1000,
      forgetAfterMs: Math.max(3_600_000, 2 * opts.maxDelayMs),
      maxKeys: 10_000,
      ...opts,
    };
  }

  /** How long `key` must still wait before its next attempt; 0 if it may try now. */
  waitMs(key: string): number {
    const e = this.current(key);
    return e === undefined ? 0 : Math.max(0, e.lockedUntilMs - this.opts.now());
  }

  failure(key: string): void {
    const now = this.opts.now();
    const e = this.current(key) ?? { failures: 0, lockedUntilMs: 0, lastFailureMs: now };
    e.failures += 1;
    e.lastFailureMs = now;
    const over = e.failures - this.opts.freeFailures;
    if (over > 0) {
      // 2^over overflows to Infinity long before it matters; min() caps it.
      const delay = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (over - 1));
      e.lockedUntilMs = now + delay;
    }
    // Re-inserted last, so the first entry is always the least recently failed one.
    this.entries.delete(key);
    this.entries.set(key, e);
    if (this.entries.size > this.opts.maxKeys) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }

  success(key: string): void {
    this.entries.delete(key);
  }

  private current(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e !== undefined && this.opts.now() - e.lastFailureMs > this.opts.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}
