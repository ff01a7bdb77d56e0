import { describe, it, expect } from 'vitest';
import { backoffDelay } from '../../firmware-sim/client.js';
import { lastCompleteWindowStart, localHour, realDelay, simTime } from '../../firmware-sim/time.js';

describe('simulated time', () => {
  it('reads local hours in the site time zone', () => {
    expect(localHour(Date.parse('2026-11-20T15:30:00Z'), 'Asia/Shanghai')).toBeCloseTo(23.5);
  });

  it('finds the start of the last complete night', () => {
    const now = Date.parse('2026-11-21T03:00:00+08:00');
    expect(new Date(lastCompleteWindowStart(now, 'Asia/Shanghai', 22, 8 * 3_600_000)).toISOString()).toBe('2026-11-19T14:00:00.000Z');
    const morning = Date.parse('2026-11-21T07:00:00+08:00');
    expect(new Date(lastCompleteWindowStart(morning, 'Asia/Shanghai', 22, 8 * 3_600_000)).toISOString()).toBe('2026-11-20T14:00:00.000Z');
  });

  it('a warped clock started in the past runs fast, then never passes real time', () => {
    const real0 = 1_000_000_000_000;
    const clock = { real0, start: real0 - 3_600_000, warp: 60 };
    expect(simTime(clock, real0 + 30_000)).toBe(real0 - 3_600_000 + 1_800_000);
    expect(realDelay(clock, real0 + 30_000, 60_000)).toBe(1_000);
    expect(simTime(clock, real0 + 120_000)).toBe(real0 + 120_000);
    expect(realDelay(clock, real0 + 120_000, 60_000)).toBe(60_000);
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelay(0, 0, 1000, 60_000)).toBe(500);
    expect(backoffDelay(3, 0.999, 1000, 60_000)).toBeLessThanOrEqual(8000);
    expect(backoffDelay(3, 0, 1000, 60_000)).toBe(4000);
    expect(backoffDelay(20, 0.5, 1000, 60_000)).toBe(45_000);
  });
});
