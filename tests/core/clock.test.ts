import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { parseDuration } from '../../src/core/rule-spec.js';

describe('ManualClock', () => {
  it('moves only when told', () => {
    const c = new ManualClock(1000);
    expect(c.now()).toBe(1000);
    c.advance(500);
    expect(c.now()).toBe(1500);
    c.set(10);
    expect(c.now()).toBe(10);
  });
});

describe('parseDuration', () => {
  it.each([['250ms', 250], ['30s', 30_000], ['2m', 120_000], ['1h', 3_600_000], ['7d', 604_800_000]])('%s is %d ms', (d, ms) => {
    expect(parseDuration(d)).toBe(ms);
  });
  it('rejects what is not a duration', () => {
    expect(() => parseDuration('5 minutes')).toThrow(/not a duration/);
  });
});
