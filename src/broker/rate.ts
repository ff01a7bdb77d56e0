// Per-device token buckets: `ratePerSecond` sustained, bursts up to `burst`. Bounded memory
// (LRU over devices). Pure: the time is passed in.

export interface RateOptions {
  ratePerSecond: number;
  burst: number;
  maxDevices?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly opts: RateOptions) {}

  /** Takes one token for `device` at `now` (ms); false when the device is over its rate. */
  take(device: string, now: number): boolean {
    const b = this.buckets.get(device) ?? { tokens: this.opts.burst, at: now };
    this.buckets.delete(device);
    const elapsed = Math.max(0, now - b.at) / 1000;
    b.tokens = Math.min(this.opts.burst, b.tokens + elapsed * this.opts.ratePerSecond);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(device, b);
    const max = this.opts.maxDevices ?? 20_000;
    if (this.buckets.size > max) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    return ok;
  }
}
