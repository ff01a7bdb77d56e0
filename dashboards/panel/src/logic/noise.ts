// Night noise maths for the chart: the night window and hourly slots. The GB 3096-2008 limits, the
// impulse margin and the 22:00/06:00 boundary come from the hub's noise kind (a pure module).
import { DAY_START_MIN, isNoiseZone, NIGHT_START_MIN, NOISE_IMPULSE_DB, noiseLimit } from '../../../../src/kinds/noise-limits.js';
import type { ReadingRow } from '../types.js';

/** an impulse (Lmax) may exceed the night limit by at most this many dB(A) */
export { NOISE_IMPULSE_DB };
/** the hub's default time zone is Asia/Shanghai (UTC+8, no daylight saving) */
export const DEFAULT_UTC_OFFSET_MIN = 480;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const NIGHT_HOURS = (24 * 60 - NIGHT_START_MIN + DAY_START_MIN) / 60;

/** the GB 3096-2008 night limit of a zone class; undefined for an unknown class */
export function nightLimit(zone: string): number | undefined {
  return isNoiseZone(zone) ? noiseLimit(zone, 'night') : undefined;
}

/** 22:00 local on `night` (YYYY-MM-DD) to 06:00 the next morning, as ms since epoch */
export function nightWindow(night: string, utcOffsetMin = DEFAULT_UTC_OFFSET_MIN): { from: number; to: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(night);
  if (!m) throw new RangeError(`night must be YYYY-MM-DD, got "${night}"`);
  const from = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + (NIGHT_START_MIN - utcOffsetMin) * MINUTE;
  return { from, to: from + NIGHT_HOURS * HOUR };
}

/** the date (YYYY-MM-DD) of the last night that has fully ended at `now` */
export function lastNight(now: number, utcOffsetMin = DEFAULT_UTC_OFFSET_MIN): string {
  const local = new Date(now + utcOffsetMin * 60_000);
  // before 06:00 the night that started the day before yesterday is the last complete one
  const back = local.getUTCHours() * 60 + local.getUTCMinutes() < DAY_START_MIN ? 2 : 1;
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

/** one slot per night hour (eight) from `from`; with several devices in a building the loudest one counts */
export function hourlySlots(rows: readonly ReadingRow[], from: number, limit: number | undefined): NoiseHour[] {
  const slots: NoiseHour[] = Array.from({ length: NIGHT_HOURS }, (_, i) => ({ hour: from + i * HOUR, laeq: null, lmax: null, over: false }));
  for (const row of rows) {
    const ts = typeof row.time === 'number' ? row.time : Date.parse(row.time);
    const slot = slots[Math.floor((ts - from) / HOUR)];
    if (!slot || ts < from) continue;
    slot.laeq = maxOf(slot.laeq, num(row.laeq));
    slot.lmax = maxOf(slot.lmax, num(row.lmax));
  }
  if (limit !== undefined) {
    for (const s of slots) s.over = (s.laeq ?? 0) > limit || (s.lmax ?? 0) > limit + NOISE_IMPULSE_DB;
  }
  return slots;
}
