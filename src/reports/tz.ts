// Wall-clock time in a named IANA zone <-> epoch ms, with Intl only (no DST tables of our own).
// Pure: no clock reads.

const fmtCache = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = fmtCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    fmtCache.set(tz, f);
  }
  return f;
}

export interface WallTime { year: number; month: number; day: number; hour: number; minute: number; second: number }

/** The wall-clock time in `tz` at epoch ms `t`. */
export function wallTime(t: number, tz: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(t))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0,
    hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0,
  };
}

/** Offset of `tz` from UTC at epoch ms `t` (local minus UTC), in ms. */
export function zoneOffsetMs(t: number, tz: string): number {
  const w = wallTime(t, tz);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** Epoch ms of the wall-clock `date` (YYYY-MM-DD) `time` (HH:MM) in `tz`. */
export function zonedToUtc(date: string, time: string, tz: string): number {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  let t = guess - zoneOffsetMs(guess, tz);
  const second = guess - zoneOffsetMs(t, tz);
  if (second !== t) t = second;
  return t;
}

/** YYYY-MM-DD of the day after `date`. */
export function nextDate(date: string): string {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, mo - 1, d + 1)).toISOString().slice(0, 10);
}

/** YYYY-MM-DD of the local date in `tz` at epoch ms `t`. */
export function localDate(t: number, tz: string): string {
  const w = wallTime(t, tz);
  return `${String(w.year).padStart(4, '0')}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

export const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
export const CLOCK_RE = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The night starting on local date `night`: [from, to) in epoch ms. `to` is on the next day when it is not after `from` on the clock. */
export function nightWindow(night: string, window: { from: string; to: string }, tz: string): { from: number; to: number } {
  const from = zonedToUtc(night, window.from, tz);
  const endDate = window.to <= window.from ? nextDate(night) : night;
  return { from, to: zonedToUtc(endDate, window.to, tz) };
}
