import { describe, it, expect } from 'vitest';
import { RateLimiter } from '../../src/broker/rate.js';

describe('RateLimiter: slows a device down, never refuses what it sent', () => {
  it('within the burst nothing waits; past it each reading owes 1/rate s, paid back over time', () => {
    const r = new RateLimiter({ ratePerSecond: 2, burst: 3 });
    const t = 1_000_000;
    expect([r.take('a', 1, t), r.take('a', 1, t), r.take('a', 1, t)]).toEqual([0, 0, 0]);
    expect(r.take('a', 1, t)).toBe(500);
    expect(r.take('a', 1, t)).toBe(1000);
    expect(r.take('b', 1, t)).toBe(0); // other devices are not affected
    expect(r.owed('a', t + 400)).toBe(600);
    expect(r.owed('a', t + 1000)).toBe(0);
    expect(r.owed('never-seen', t)).toBe(0);
    expect(r.take('a', 3, t + 60_000)).toBe(0); // refilled up to the burst, no more
    expect(r.take('a', 1, t + 60_000)).toBe(500);
  });

  it('a batch spends one token per reading', () => {
    const r = new RateLimiter({ ratePerSecond: 20, burst: 100 });
    expect(r.take('a', 500, 0)).toBe(20_000);
  });

  it('is far over only beyond maxDebt readings of debt (default: 60 s of its rate, at least 1,000)', () => {
    expect(new RateLimiter({ ratePerSecond: 20, burst: 100 }).maxDebt).toBe(1200);
    expect(new RateLimiter({ ratePerSecond: 1, burst: 10 }).maxDebt).toBe(1000);
    const r = new RateLimiter({ ratePerSecond: 1, burst: 10, maxDebt: 100 });
    r.take('a', 110, 0);
    expect(r.farOver('a', 0)).toBeUndefined();
    r.take('a', 1, 0);
    expect(r.farOver('a', 0)).toBe('owes more than 100 readings');
    expect(r.farOver('a', 2000)).toBeUndefined();
    expect(r.farOver('b', 0)).toBeUndefined();
  });

  it('is far over when it stays over its rate for maxOverMs without recovering half its burst; a flushed backlog is not', () => {
    const r = new RateLimiter({ ratePerSecond: 10, burst: 100, maxOverMs: 60_000 });
    // a backlog: 1,000 readings at once, then quiet; paid back after 90 s, then refilled
    r.take('backlog', 1000, 0);
    expect(r.farOver('backlog', 59_000)).toBeUndefined();
    expect(r.farOver('backlog', 95_000)).toBeUndefined();
    r.take('backlog', 1, 95_000);
    expect(r.farOver('backlog', 200_000)).toBeUndefined();
    // over its rate once, then quiet long past maxOverMs: back above half its burst, not far over
    r.take('quiet', 200, 1000);
    expect(r.farOver('quiet', 20_000)).toBeUndefined();
    expect(r.farOver('quiet', 70_000)).toBeUndefined();
    // a device sending 20 readings every second, where 10 are allowed: in debt from 9 s on, for good
    let t = 0;
    for (; t <= 69_000; t += 1000) {
      expect(r.farOver('chatty', t)).toBeUndefined();
      r.take('chatty', 20, t);
    }
    expect(r.farOver('chatty', t)).toBe('over its rate for more than 60 s');
  });

  it('forgets the device least recently heard from beyond maxDevices, however many messages in a row another sent', () => {
    const r = new RateLimiter({ ratePerSecond: 1, burst: 10, maxDevices: 2 });
    r.take('a', 5, 0);
    r.take('b', 5, 0);
    r.take('b', 1, 0);
    r.take('a', 1, 0); // a is now the newest, b the oldest
    r.take('a', 1, 0);
    r.take('c', 5, 0); // evicts b
    expect(r.owed('a', 0)).toBe(0);
    expect(r.take('a', 4, 0)).toBe(1000); // a's bucket kept: 3 of its 10 left, 1 reading of debt
    expect(r.take('b', 10, 0)).toBe(0); // b forgotten: a full burst again
  });
});
