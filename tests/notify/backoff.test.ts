import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, timerSleep } from '../../src/notify/backoff.js';

const policy = { baseMs: 1000, maxMs: 30_000, factor: 2 };

describe('backoffDelay', () => {
  it('doubles per attempt, with jitter between half and the whole step', () => {
    for (const [attempt, step] of [[1, 1000], [2, 2000], [3, 4000], [4, 8000]] as const) {
      expect(backoffDelay(attempt, policy, () => 0)).toBe(step / 2);
      expect(backoffDelay(attempt, policy, () => 0.999999)).toBe(step);
      const mid = backoffDelay(attempt, policy, () => 0.5);
      expect(mid).toBe(Math.round(step * 0.75));
    }
  });

  it('never exceeds the cap', () => {
    for (let a = 1; a <= 40; a += 1) expect(backoffDelay(a, policy, () => 0.999999)).toBeLessThanOrEqual(policy.maxMs);
    expect(backoffDelay(40, DEFAULT_BACKOFF, () => 0.999999)).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
  });

  it('honours a server Retry-After up to the cap', () => {
    expect(backoffDelay(1, policy, () => 0, 10_000)).toBe(10_000);
    expect(backoffDelay(1, policy, () => 0, 10 * 60_000)).toBe(policy.maxMs);
    expect(backoffDelay(3, policy, () => 0, 100)).toBe(2000);
  });
});

describe('timerSleep', () => {
  it('resolves true after the delay', async () => {
    await expect(timerSleep(1, new AbortController().signal)).resolves.toBe(true);
  });

  it('resolves false at once when aborted (an acknowledgement)', async () => {
    const ac = new AbortController();
    const p = timerSleep(60_000, ac.signal);
    ac.abort();
    await expect(p).resolves.toBe(false);
    await expect(timerSleep(60_000, ac.signal)).resolves.toBe(false);
  });
});
