import { describe, expect, it } from 'vitest';
import { clockMinutes, inWindow, localTime } from '../../src/rules/localtime.js';

describe('localTime', () => {
  it('gives Beijing wall-clock minutes and weekday from UTC instants', () => {
    const lt = localTime('Asia/Shanghai');
    const t = Date.UTC(2026, 0, 14, 16, 30); // Thu 2026-01-15 00:30 in Shanghai
    expect(lt.minuteOfDay(t)).toBe(30);
    expect(lt.isoWeekday(t)).toBe(4);
    expect(lt.offsetMinutes(t)).toBe(480);
  });
  it('handles a zone with half-hour offset and no DST (Asia/Kolkata)', () => {
    const lt = localTime('Asia/Kolkata');
    const t = Date.UTC(2026, 6, 5, 18, 45); // Sun 00:15 on Mon 2026-07-06 local
    expect(lt.minuteOfDay(t)).toBe(15);
    expect(lt.isoWeekday(t)).toBe(1);
  });
  it('follows DST shifts (Europe/Berlin)', () => {
    const lt = localTime('Europe/Berlin');
    expect(lt.minuteOfDay(Date.UTC(2026, 2, 29, 0, 30))).toBe(90); // before the switch: +1
    expect(lt.minuteOfDay(Date.UTC(2026, 2, 29, 1, 30))).toBe(210); // after: +2
  });
});

describe('inWindow', () => {
  const night = [clockMinutes('22:00'), clockMinutes('06:00')] as const;
  it.each([
    ['21:59', false], ['22:00', true], ['23:59', true], ['00:00', true], ['05:59', true], ['06:00', false], ['12:00', false],
  ])('22:00-06:00 contains %s: %s', (hhmm, want) => {
    expect(inWindow(clockMinutes(hhmm), night[0], night[1])).toBe(want);
  });
  it('a same-day window is half-open', () => {
    expect(inWindow(clockMinutes('08:00'), 480, 1080)).toBe(true);
    expect(inWindow(clockMinutes('18:00'), 480, 1080)).toBe(false);
  });
});
