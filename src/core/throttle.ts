// Slowing down password guessing without locking out the innocent. Failures are counted per key;
// after `freeFailures` each further attempt under that key waits an exponentially growing time
// (base, 2 x base, ... capped at maxMs). A key is forgotten after `forgetAfterMs` without failure;
// at most `maxKeys` keys are kept (least recently failed dropped first), so a flood of made-up
// names cannot grow memory. Pure: the time is passed in.
export interface ThrottleOptions {
  freeFailures: number;
  baseMs: number;
  maxMs: number;
  forgetAfterMs: number;
  maxKeys: number;
}

export class FailureThrottle {
  private readonly entries = new Map<string, { failures: number; last: number }>();

  constructor(private readonly opts: ThrottleOptions) {}

  /** How long (ms) an attempt under `key` must still wait; 0 when it may go ahead now. */
  waitMs(key: string, now: number): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    if (now - e.last > this.opts.forgetAfterMs) {
      this.entries.delete(key);
      return 0;
    }
    if (e.failures < this.opts.freeFailures) return 0;
    const delay = Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(30, e.failures - this.opts.freeFailures));
    return Math.max(0, e.last + delay - now);
  }

  failed(key: string, now: number): void {
    const e = this.entries.get(key);
    const failures = e && now - e.last <= this.opts.forgetAfterMs ? e.failures + 1 : 1;
    this.entries.delete(key); // re-insert: the map's order is the least recently failed first
    this.entries.set(key, { failures, last: now });
    if (this.entries.size > this.opts.maxKeys) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  succeeded(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Login throttling shared by MQTT devices and HTTP people. The (account, address) pair is refused
 * without checking the password while in its backoff: a guesser is stopped, but a colleague behind
 * the same NAT address (another account) or the real device on its own address (another pair) is
 * not. The account alone and the address alone only add a short, capped delay before the check,
 * which slows a guesser spread over many addresses or many accounts without locking anyone out.
 */
export interface LoginVerdict {
  /** > 0: refuse now without verifying; retry after this many ms */
  refuseMs: number;
  /** wait this long before verifying (slows a spread-out guesser; never a refusal) */
  delayMs: number;
}

export const PAIR_THROTTLE: ThrottleOptions = { freeFailures: 5, baseMs: 1000, maxMs: 15 * 60_000, forgetAfterMs: 60 * 60_000, maxKeys: 100_000 };
export const SINGLE_THROTTLE: ThrottleOptions = { freeFailures: 20, baseMs: 50, maxMs: 2000, forgetAfterMs: 15 * 60_000, maxKeys: 100_000 };

export class LoginThrottle {
  private readonly pair: FailureThrottle;
  private readonly account: FailureThrottle;
  private readonly address: FailureThrottle;

  constructor(opts: { pair?: ThrottleOptions; single?: ThrottleOptions } = {}) {
    this.pair = new FailureThrottle(opts.pair ?? PAIR_THROTTLE);
    this.account = new FailureThrottle(opts.single ?? SINGLE_THROTTLE);
    this.address = new FailureThrottle(opts.single ?? SINGLE_THROTTLE);
  }

  check(account: string, address: string, now: number): LoginVerdict {
    return {
      refuseMs: this.pair.waitMs(pairKey(account, address), now),
      delayMs: Math.max(this.account.waitMs(account, now), this.address.waitMs(address, now)),
    };
  }

  failed(account: string, address: string, now: number): void {
    this.pair.failed(pairKey(account, address), now);
    this.account.failed(account, now);
    this.address.failed(address, now);
  }

  /** A success clears the pair only: the account's and address's counts fade with time. */
  succeeded(account: string, address: string): void {
    this.pair.succeeded(pairKey(account, address));
  }
}

const pairKey = (account: string, address: string): string => `${account}\u0000${address}`;
