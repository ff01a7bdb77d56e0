// Thinning for the live feed: per key (device), emit at most once per `intervalMs`, always the
// latest value. The first value after a quiet period goes out at once; values arriving inside the
// interval replace each other and the last one goes out when the interval ends.
export class Coalescer<T> {
  private readonly lastEmit = new Map<string, number>();
  private readonly pending = new Map<string, T>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly intervalMs: number, private readonly emit: (key: string, value: T) => void, private readonly now: () => number = Date.now) {}

  push(key: string, value: T): void {
    if (this.timers.has(key)) { this.pending.set(key, value); return; }
    const last = this.lastEmit.get(key);
    const t = this.now();
    if (last === undefined || t - last >= this.intervalMs) {
      this.fire(key, value, t);
      return;
    }
    this.pending.set(key, value);
    this.arm(key, this.intervalMs - (t - last));
  }

  private arm(key: string, delay: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(key);
      const v = this.pending.get(key);
      if (v === undefined) return;
      this.pending.delete(key);
      this.fire(key, v, this.now());
    }, Math.max(0, delay));
    timer.unref();
    this.timers.set(key, timer);
  }

  private fire(key: string, value: T, t: number): void {
    this.lastEmit.set(key, t);
    this.emit(key, value);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
  }
}
