// Per-device token buckets that slow a device down instead of refusing what it sent: `take`
// spends the tokens of a message (a batch spends one per reading) even when that leaves the
// bucket in debt, and says how long the device's acknowledgement must be held until the debt is
// paid back at `ratePerSecond`. A device is far over its rate, and the broker disconnects it,
// when it owes more than `maxDebt` readings (its MQTT window is not throttling it), or when it
// has stayed over its rate for `maxOverMs` without once getting back to half its burst (it
// sends more than its rate all the time, not a backlog flushed after an outage).
// Bounded memory (LRU over devices). Pure: the time is passed in.

export interface RateOptions {
  ratePerSecond: number;
  burst: number;
  /** readings of debt beyond which a device is disconnected; default max(60 s of its rate, 1,000) */
  maxDebt?: number;
  /** ms a device may stay over its rate without recovering half its burst; default 10 min */
  maxOverMs?: number;
  maxDevices?: number;
}

interface Bucket {
  tokens: number;
  at: number;
  /** when it went into debt; 0 while it is not over its rate */
  overSince: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** the device whose bucket was used last: already the newest in `buckets`' LRU order */
  private newest: string | undefined;
  readonly maxDebt: number;
  readonly maxOverMs: number;

  constructor(private readonly opts: RateOptions) {
    this.maxDebt = opts.maxDebt ?? Math.max(60 * opts.ratePerSecond, 1000);
    this.maxOverMs = opts.maxOverMs ?? 600_000;
  }

  /** Spends `n` tokens of `device` at `now` (ms); returns the ms until it is within its rate again (0: at once). */
  take(device: string, n: number, now: number): number {
    const b = this.refill(device, now);
    b.tokens -= n;
    if (b.tokens < 0 && b.overSince === 0) b.overSince = now;
    return this.waitOf(b);
  }

  /** ms until `device` is out of debt at `now` (0 when it is within its rate). */
  owed(device: string, now: number): number {
    const b = this.buckets.get(device);
    if (!b) return 0;
    return this.waitOf(this.refill(device, now));
  }

  /** Why `device` is far over its rate at `now`, or undefined when it is not. */
  farOver(device: string, now: number): string | undefined {
    // asked before every message: reads the bucket, leaving the refill (and the LRU order) to `take`
    const b = this.buckets.get(device);
    if (!b) return undefined;
    const tokens = this.tokensAt(b, now);
    if (tokens < -this.maxDebt) return `owes more than ${this.maxDebt} readings`;
    const over = b.overSince !== 0 && tokens < this.opts.burst / 2; // (refill ends it at half the burst)
    if (over && now - b.overSince > this.maxOverMs) return `over its rate for more than ${Math.round(this.maxOverMs / 1000)} s`;
    return undefined;
  }

  private waitOf(b: Bucket): number {
    return b.tokens >= 0 ? 0 : Math.ceil((-b.tokens * 1000) / this.opts.ratePerSecond);
  }

  private tokensAt(b: Bucket, now: number): number {
    return Math.min(this.opts.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.opts.ratePerSecond);
  }

  private refill(device: string, now: number): Bucket {
    const known = this.buckets.get(device);
    const b = known ?? { tokens: this.opts.burst, at: now, overSince: 0 };
    b.tokens = this.tokensAt(b, now);
    b.at = now;
    if (b.tokens >= this.opts.burst / 2) b.overSince = 0;
    // already the newest in the LRU order: a socket read brings many messages of one device in a row
    if (known && device === this.newest) return b;
    if (known) this.buckets.delete(device);
    this.buckets.set(device, b);
    this.newest = device;
    if (this.buckets.size > (this.opts.maxDevices ?? 20_000)) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    return b;
  }
}
