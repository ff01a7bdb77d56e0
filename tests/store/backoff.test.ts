import { describe, expect, it } from 'vitest';
import { backoffDelay, Sleeper } from '../../src/store/backoff.js';

describe('backoffDelay', () => {
  it('doubles per step between half and the full step, and stops at the cap', () => {
    expect(backoffDelay(1, 100, 2000, () => 0)).toBe(50);
    expect(backoffDelay(1, 100, 2000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 2000, () => 0)).toBe(200);
    expect(backoffDelay(3, 100, 2000, () => 1)).toBe(400);
    expect(backoffDelay(10, 100, 2000, () => 1)).toBe(2000);
    expect(backoffDelay(10_000, 100, 2000, () => 0.5)).toBe(1500);
  });

  it('treats step 0 or less as the first step', () => {
    expect(backoffDelay(0, 100, 2000, () => 1)).toBe(100);
  });
});

describe('Sleeper', () => {
  it('wakeAll ends every sleep at once', async () => {
    const s = new Sleeper();
    const done: number[] = [];
    const a = s.sleep(60_000).then(() => done.push(1));
    const b = s.sleep(60_000).then(() => done.push(2));
    s.wakeAll();
    await Promise.all([a, b]);
    expect(done.sort()).toEqual([1, 2]);
  });

  it('an aborted signal ends a sleep', async () => {
    const s = new Sleeper();
    const ac = new AbortController();
    const p = s.sleep(60_000, ac.signal);
    ac.abort();
    await expect(p).resolves.toBeUndefined();
  });
});
