// Simulated time: local clock hours in the site's time zone, and a warped clock that lets a
// night run in minutes without ever stamping readings in the future (the hub rejects ts more
// than 300 s ahead), so a warped run starts in the past and catches up with real time.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timezone, f);
  }
  return f;
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  /** 0..23 */
  hour: number;
  minute: number;
  second: number;
}

export function localTime(t: number, timezone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(new Date(t))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0, hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0 };
}

const offsets = new Map<string, number>();

/** Fractional local hour of day, 0 <= h < 24 (zone offsets cached per UTC hour: Intl is slow). */
export function localHour(t: number, timezone: string): number {
  const key = `${timezone}|${Math.floor(t / 3_600_000)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    offset = utcOffsetMs(t, timezone);
    if (offsets.size > 100_000) offsets.clear();
    offsets.set(key, offset);
  }
  const dayMs = 86_400_000;
  return ((((t + offset) % dayMs) + dayMs) % dayMs) / 3_600_000;
}

/** Offset of local time from UTC at instant t, in ms. */
export function utcOffsetMs(t: number, timezone: string): number {
  const l = localTime(t, timezone);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/**
 * The most recent instant at local `hour`:00 such that [that instant, + durationMs] has fully
 * passed by `now`: e.g. the start (22:00) of the last complete night.
 */
export function lastCompleteWindowStart(now: number, timezone: string, hour: number, durationMs: number): number {
  const offset = utcOffsetMs(now, timezone);
  const dayMs = 86_400_000;
  const localMidnight = Math.floor((now + offset) / dayMs) * dayMs - offset;
  let start = localMidnight + hour * 3_600_000;
  while (start + durationMs > now) start -= dayMs;
  return start;
}

export interface WarpClock {
  /** real ms when the run started */
  real0: number;
  /** simulated ms at real0 */
  start: number;
  /** simulated ms per real ms */
  warp: number;
}

/** Simulated time at real time `real`; never later than `real` once started in the past. */
export function simTime(clock: WarpClock, real: number): number {
  const warped = clock.start + (real - clock.real0) * clock.warp;
  return clock.start <= clock.real0 ? Math.min(warped, Math.max(real, clock.start)) : warped;
}

/** Real ms to wait for `simMs` of simulated time to pass at instant `real`. */
export function realDelay(clock: WarpClock, real: number, simMs: number): number {
  const caughtUp = clock.start <= clock.real0 && simTime(clock, real) >= real;
  return caughtUp ? simMs : simMs / clock.warp;
}
