import { describe, expect, it } from 'vitest';
import { FailureThrottle, LoginThrottle } from '../../src/core/throttle.js';

const opts = { freeFailures: 3, baseMs: 1000, maxMs: 8000, forgetAfterMs: 60_000, maxKeys: 3 };

describe('FailureThrottle', () => {
  it('lets the free failures through, then backs off exponentially up to the cap', () => {
    const t = new FailureThrottle(opts);
    for (let i = 0; i < 3; i++) { expect(t.waitMs('k', 0)).toBe(0); t.failed('k', 0); }
    expect(t.waitMs('k', 0)).toBe(1000);
    expect(t.waitMs('k', 999)).toBe(1);
    expect(t.waitMs('k', 1000)).toBe(0);
    t.failed('k', 1000);
    expect(t.waitMs('k', 1000)).toBe(2000);
    for (let i = 0; i < 10; i++) t.failed('k', 1000);
    expect(t.waitMs('k', 1000)).toBe(8000);
  });

  it('forgets a key after a quiet period and on success', () => {
    const t = new FailureThrottle(opts);
    for (let i = 0; i < 5; i++) t.failed('k', 0);
    expect(t.waitMs('k', 60_001)).toBe(0);
    for (let i = 0; i < 5; i++) t.failed('j', 0);
    t.succeeded('j');
    expect(t.waitMs('j', 0)).toBe(0);
  });

  it('keeps at most maxKeys keys, dropping the least recently failed', () => {
    const t = new FailureThrottle({ ...opts, freeFailures: 0 });
    for (const k of ['a', 'b', 'c', 'd']) t.failed(k, 0);
    expect(t.size).toBe(3);
    expect(t.waitMs('a', 0)).toBe(0);
    expect(t.waitMs('d', 0)).toBeGreaterThan(0);
  });
});

describe('LoginThrottle', () => {
  const single = { freeFailures: 10, baseMs: 50, maxMs: 2000, forgetAfterMs: 60_000, maxKeys: 100 };
  it('refuses the guessing (account, address) pair but not another account behind the same address', () => {
    const t = new LoginThrottle({ pair: opts, single });
    for (let i = 0; i < 4; i++) t.failed('wang', '10.0.0.1', 0);
    expect(t.check('wang', '10.0.0.1', 0).refuseMs).toBeGreaterThan(0);
    expect(t.check('li', '10.0.0.1', 0)).toEqual({ refuseMs: 0, delayMs: 0 });
    expect(t.check('wang', '10.0.0.2', 0).refuseMs).toBe(0); // the real person elsewhere
  });

  it('slows (never refuses) a guesser spread over many addresses or many accounts', () => {
    const t = new LoginThrottle({ pair: opts, single });
    for (let i = 0; i < 12; i++) t.failed('gas-1', `10.0.1.${i}`, 0);
    const v = t.check('gas-1', '10.9.9.9', 0);
    expect(v.refuseMs).toBe(0);
    expect(v.delayMs).toBeGreaterThan(0);
    expect(v.delayMs).toBeLessThanOrEqual(2000);
    for (let i = 0; i < 12; i++) t.failed(`dev-${i}`, '10.0.2.1', 0);
    expect(t.check('someone', '10.0.2.1', 0)).toMatchObject({ refuseMs: 0 });
    expect(t.check('someone', '10.0.2.1', 0).delayMs).toBeGreaterThan(0);
  });

  it('a success clears the pair', () => {
    const t = new LoginThrottle({ pair: opts, single });
    for (let i = 0; i < 4; i++) t.failed('wang', 'a', 0);
    t.succeeded('wang', 'a');
    expect(t.check('wang', 'a', 0).refuseMs).toBe(0);
  });
});
