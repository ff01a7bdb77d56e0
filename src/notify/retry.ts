// The retry stage on its own: try a send until it succeeds, fails for good, runs out of attempts
// or is cancelled; wait with backoff between tries. Shared by alert deliveries (pipeline.ts) and
// report digests (digest.ts). The send never retries itself; only this loop does.
import { backoffDelay, type BackoffPolicy, type Sleep } from './backoff.js';
import type { SendResult } from './types.js';

export type Failure = Extract<SendResult, { ok: false }>;

export interface RetryPolicy {
  backoff: BackoffPolicy;
  /** [0, 1); jitter source */
  random: () => number;
  sleep: Sleep;
}

export interface RetryOutcome {
  outcome: 'delivered' | 'dead_letter' | 'cancelled';
  attempts: number;
  last?: Failure;
}

/** Told about each failed attempt that will be retried, before the wait. */
export type OnRetry = (failure: Failure, attempt: number, delayMs: number) => Promise<void> | void;

export async function sendWithRetry(
  send: () => Promise<SendResult>, maxAttempts: number, signal: AbortSignal, policy: RetryPolicy, onRetry?: OnRetry,
): Promise<RetryOutcome> {
  let attempts = 0;
  let last: Failure | undefined;
  const done = (outcome: RetryOutcome['outcome']): RetryOutcome => (last ? { outcome, attempts, last } : { outcome, attempts });
  for (;;) {
    if (signal.aborted) return done('cancelled');
    attempts += 1;
    let result: SendResult;
    try {
      result = await send();
    } catch (e) {
      result = { ok: false, retryable: true, error: e instanceof Error ? e.message : String(e) };
    }
    if (signal.aborted || (!result.ok && result.stopping)) return done('cancelled');
    if (result.ok) return done('delivered');
    last = result;
    if (!result.retryable || attempts >= maxAttempts) return done('dead_letter');
    const delay = backoffDelay(attempts, policy.backoff, policy.random, result.retryAfterMs);
    await onRetry?.(result, attempts, delay);
    if (!(await policy.sleep(delay, signal))) return done('cancelled');
  }
}
