// Night noise maths for the chart: GB 3096-2008 night limits, the night window, hourly slots.
import type { ReadingRow } from '../types.js';

/** LAeq night limits in dB(A) per zone class (GB 3096-2008, table 1) */
export const NIGHT_LIMITS: Record<string, number> = { '0': 40, '1': 45, '2': 50, '3': 55, '4a': 55, '4b': 60 };
/** an impulse (Lmax) may exceed the night limit by at most 15 dB(A) */
export const IMPULSE_MARGIN = 15;
/** the hub's default time zone is Asia/Shanghai (UTC+8, no daylight saving) */
export const DEFAULT_UTC_OFFSET_MIN = 480;
const HOUR = 3_600_000;

export function nightLimit(zone: string): number | undefined {
  return NIGHT_LIMITS[zone];
}

/** 22:00 local on `night` (YYYY-MM-DD) to 06:00 the next morning, as ms since epoch */
export function nightWindow(night: string, utcOffsetMin = DEFAULT_UTC_OFFSET_MIN): { from: number; to: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(night);
  if (!m) throw new RangeError(`night must be YYYY-MM-DD, got "${night}"`);
  const from = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 22) - utcOffsetMin * 60_000;
  return { from, to: from + 8 * HOUR };
}

/** the date (YYYY-MM-DD) of the last night that has fully ended at `now` */
export function lastNight(now: number, utcOffsetMin = DEFAULT_UTC_OFFSET_MIN): string {
  const local = new Date(now + utcOffsetMin * 60_000);
  // before 06:00 the night that started the day before yesterday is the last complete one
  const back = local.getUTCHours() < 6 ? 2 : 1;
  const d = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() - back));
  return d.toISOString().slice(0, 10);
}

export interface NoiseHour {
  hour: number;
  laeq: number | null;
  lmax: number | null;
  over: boolean;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** eight hourly slots from `from`; with several devices in a building the loudest one counts */
export function hourlySlots(rows: readonly ReadingRow[], from: number, limit: number | undefined): NoiseHour[] {
  const slots: NoiseHour[] = Array.from({ length: 8 }, (_, i) => ({ hour: from + i * HOUR, laeq: null, lmax: null, over: false }));
  for (const row of rows) {
    const ts = typeof row.time === 'number' ? row.time : Date.parse(row.time);
    const slot = slots[Math.floor((ts - from) / HOUR)];
    if (!slot || ts < from) continue;
    slot.laeq = maxOf(slot.laeq, num(row.laeq));
    slot.lmax = maxOf(slot.lmax, num(row.lmax));
  }
  if (limit !== undefined) {
    for (const s of slots) s.over = (s.laeq ?? 0) > limit || (s.lmax ?? 0) > limit + IMPULSE_MARGIN;
  }
  return slots;
}
