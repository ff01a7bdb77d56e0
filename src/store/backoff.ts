// Retry timing for the writer: exponential backoff with jitter, and sleeps that can be cut short.

/** Step n (1-based) of exponential backoff with jitter: uniform in [step/2, step], step = base * 2^(n-1), capped. */
export function backoffDelay(n: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const step = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(n, 1) - 1, 30));
  return step / 2 + random() * (step / 2);
}

/** Timers that `wakeAll()` (on close) or an AbortSignal end early. */
export class Sleeper {
  private readonly sleepers = new Set<() => void>();

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.sleepers.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}
