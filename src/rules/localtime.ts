// Local wall-clock time in an IANA zone without a tz library: Intl.DateTimeFormat gives the UTC
// offset; offsets are cached per 15-minute UTC bucket (every real zone changes offset on one).
const BUCKET_MS = 15 * 60_000;
const MAX_CACHE = 4096;

export interface LocalTime {
  readonly timeZone: string;
  /** minutes since local midnight, 0..1439 */
  minuteOfDay(t: number): number;
  /** ISO weekday of the local date, 1 (Mon) .. 7 (Sun) */
  isoWeekday(t: number): number;
  /** UTC offset in minutes at t */
  offsetMinutes(t: number): number;
}

export function localTime(timeZone: string): LocalTime {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  const cache = new Map<number, number>();
  const offsetMinutes = (t: number): number => {
    const bucket = Math.floor(t / BUCKET_MS);
    const hit = cache.get(bucket);
    if (hit !== undefined) return hit;
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(bucket * BUCKET_MS)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const asUtc = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
    const off = Math.round((asUtc - bucket * BUCKET_MS) / 60_000);
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(bucket, off);
    return off;
  };
  const localMinutes = (t: number): number => Math.floor(t / 60_000) + offsetMinutes(t);
  return {
    timeZone,
    offsetMinutes,
    minuteOfDay: (t) => ((localMinutes(t) % 1440) + 1440) % 1440,
    isoWeekday: (t) => {
      const day = Math.floor(localMinutes(t) / 1440); // days since 1970-01-01 (a Thursday)
      return ((((day + 3) % 7) + 7) % 7) + 1;
    },
  };
}

/** "HH:MM" to minutes of day. */
export function clockMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** Whether a minute of day falls in [from, to); a window with from > to crosses midnight. */
export function inWindow(minute: number, from: number, to: number): boolean {
  if (from === to) return true;
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}
