import { describe, expect, it } from 'vitest';
import { localDate, nextDate, nightWindow, zonedToUtc } from '../../src/reports/tz.js';
import { previousDay, previousMonth } from '../../src/reports/schedule.js';

describe('time zones', () => {
  it('a Shanghai night 22:00–06:00 is 14:00Z to 22:00Z', () => {
    expect(nightWindow('2026-03-05', { from: '22:00', to: '06:00' }, 'Asia/Shanghai')).toEqual({ from: Date.UTC(2026, 2, 5, 14), to: Date.UTC(2026, 2, 5, 22) });
  });
  it('a night across a DST change is an hour shorter (Europe/Berlin, 2026-03-29)', () => {
    const w = nightWindow('2026-03-28', { from: '22:00', to: '06:00' }, 'Europe/Berlin');
    expect(w).toEqual({ from: Date.UTC(2026, 2, 28, 21), to: Date.UTC(2026, 2, 29, 4) });
  });
  it('a window that does not cross midnight stays on the same date', () => {
    expect(nightWindow('2026-03-05', { from: '01:00', to: '05:30' }, 'UTC')).toEqual({ from: Date.UTC(2026, 2, 5, 1), to: Date.UTC(2026, 2, 5, 5, 30) });
  });
  it('converts wall clock and dates', () => {
    expect(zonedToUtc('2026-01-01', '00:00', 'Asia/Shanghai')).toBe(Date.UTC(2025, 11, 31, 16));
    expect(nextDate('2026-02-28')).toBe('2026-03-01');
    expect(nextDate('2024-02-28')).toBe('2024-02-29');
    expect(localDate(Date.UTC(2025, 11, 31, 16), 'Asia/Shanghai')).toBe('2026-01-01');
  });
  it('the scheduled periods are the previous local day and month', () => {
    expect(previousDay(Date.UTC(2026, 2, 6, 0, 30), 'Asia/Shanghai')).toEqual({ date: '2026-03-05', from: Date.UTC(2026, 2, 4, 16), to: Date.UTC(2026, 2, 5, 16) });
    expect(previousMonth(Date.UTC(2026, 2, 1, 0), 'Asia/Shanghai')).toEqual({ month: '2026-02', from: Date.UTC(2026, 0, 31, 16), to: Date.UTC(2026, 1, 28, 16) });
    expect(previousMonth(Date.UTC(2026, 0, 1, 0), 'Asia/Shanghai')).toEqual({ month: '2025-12', from: Date.UTC(2025, 10, 30, 16), to: Date.UTC(2025, 11, 31, 16) });
  });
});
