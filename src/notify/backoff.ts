// Retry timing: exponential backoff with jitter ("equal jitter": half fixed, half random, so a
// retry never fires at once and a burst of failures spreads out). Pure; randomness passed in.

export interface BackoffPolicy {
  /** delay before the 2nd attempt, before jitter */
  baseMs: number;
  /** cap on any one delay */
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 5 * 60_000, factor: 2 };

/**
 * Delay before attempt `attempt + 1`, given `attempt` tries have failed (attempt >= 1).
 * `random` returns [0, 1). A server's Retry-After, when given, is honoured up to maxMs.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number, retryAfterMs?: number): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + (random() * exp) / 2;
  const floor = retryAfterMs !== undefined && retryAfterMs > 0 ? Math.min(policy.maxMs, retryAfterMs) : 0;
  return Math.max(floor, Math.round(jittered));
}

/** Waits `ms` unless the signal aborts first; resolves false when aborted. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<boolean>;

export const timerSleep: Sleep = (ms, signal) =>
  new Promise<boolean>((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
