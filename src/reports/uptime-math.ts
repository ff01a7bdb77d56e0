// Uptime audit maths for one device over one period. Pure: every time is passed in.
//
// Offline is the one definition (src/core/offline.ts, shared/domain.md), replayed over the stored
// history: a silence longer than threshold = max(k x interval, 5 min) after the last reading is
// offline from last reading + threshold; a dropped connection (`lwt`, keep-alive `timeout`) not
// followed by a reconnect or a reading within the grace is offline from the drop; a clean
// `disconnect` is no outage. The next reading ends an outage (a connect alone does not). Time
// inside silences (maintenance windows) is left out of the uptime denominator and its offline
// time is reported apart.
import type { PresenceCause } from '../core/domain.js';
import { liveness, offlinePolicy, replayOutages, silenceThresholdMs, type LivenessStep } from '../core/offline.js';

export type OfflineCause = 'lwt' | 'timeout' | 'disconnect' | 'never_seen' | 'silent';

export interface PresenceSample { ts: number; online: boolean; cause: PresenceCause }
export interface BatterySample { ts: number; value: number }
export interface Window { from: number; until: number }

export interface UptimeInput {
  from: number;
  to: number;
  /** silence threshold in ms: max(offlineFactor x interval, MIN_THRESHOLD_MS) — see thresholdMs() */
  thresholdMs: number;
  /** an `lwt` drop shorter than this that ends in a reconnect is not an outage */
  graceMs: number;
  /** the last presence event before `from`, if any */
  presenceBefore: PresenceSample | null;
  /** presence events shortly before `from` (one threshold + grace), for the state the period starts in */
  presenceLead?: PresenceSample[];
  /** presence events in [from, to) */
  presence: PresenceSample[];
  /** the last reading time before `from`, if any */
  lastReadingBefore: number | null;
  /** reading times in [from, to) */
  readings: number[];
  /**
   * Stretches known to hold readings no further apart than the threshold (from server-side gap
   * detection), standing for the readings inside them; an offline presence event inside one
   * ends at a connect within the threshold, else at once.
   */
  spans?: Window[];
  battery: BatterySample[];
  silences: Window[];
}

export interface OfflineInterval {
  start: number;
  end: number;
  durationMs: number;
  cause: OfflineCause;
  /** inside a silence (maintenance window) */
  planned: boolean;
  /** still offline at the end of the period */
  ongoing: boolean;
  /** already offline when the period (or the device's life) started */
  startedBefore: boolean;
}

export interface UptimeResult {
  /** first data time when the device first appeared inside the period, else null */
  firstSeen: number | null;
  /** time audited: from first seen (or period start) to period end */
  auditedMs: number;
  /** audited time inside silences, left out of uptimePct */
  silencedMs: number;
  unplannedMs: number;
  plannedMs: number;
  /** 100 x (audited - silenced - unplanned) / (audited - silenced); null when nothing is left */
  uptimePct: number | null;
  intervals: OfflineInterval[];
  outages: number;
  longestMs: number;
  /** mean time to repair over unplanned outages that began and ended inside the period */
  mttrMs: number | null;
  /** lwt drops shorter than the grace, not counted as outages */
  reconnects: number;
  lastBattery: number | null;
  /** least-squares battery slope, % per day */
  batteryTrendPerDay: number | null;
  /** no reading ever (before or inside the period) */
  neverReported: boolean;
}

export const MIN_THRESHOLD_MS = offlinePolicy().minSilenceMs;
export const DEFAULT_GRACE_MS = offlinePolicy().graceMs;
const DAY_MS = 86_400_000;

export function thresholdMs(intervalS: number, offlineFactor: number): number {
  return silenceThresholdMs(intervalS, offlinePolicy({ factor: offlineFactor }));
}

interface Raw { start: number; end: number; cause: OfflineCause; startedBefore: boolean; rank: number }

export function computeUptime(input: UptimeInput): UptimeResult {
  const { from, to } = input;
  const spans = (input.spans ?? []).map((w) => ({ from: Math.max(w.from, from), until: Math.min(w.until, to - 1) })).filter((w) => w.until >= w.from);
  const presence = [...input.presence].filter((p) => p.ts >= from && p.ts < to).sort((a, b) => a.ts - b.ts);
  const inSpan = (t: number): boolean => spans.some((w) => t >= w.from && t <= w.until);
  // inside a span data flowed no further apart than the threshold: a presence event there is
  // taken as followed by data at once (the gaps source cannot see the drops inside a span)
  const readings = [...input.readings, ...spans.flatMap((w) => [w.from, w.until]), ...presence.filter((p) => inSpan(p.ts)).map((p) => p.ts)]
    .filter((t) => t >= from && t < to).sort((a, b) => a - b);
  const seenBefore = input.presenceBefore !== null || input.lastReadingBefore !== null;
  const firstInPeriod = Math.min(readings[0] ?? Infinity, presence[0]?.ts ?? Infinity);
  const battery = batteryStats(input.battery);

  if (!seenBefore && firstInPeriod === Infinity) {
    const raw: Raw[] = to > from ? [{ start: from, end: to, cause: 'never_seen', startedBefore: true, rank: 0 }] : [];
    return summarise(input, from, null, raw, 0, battery, true);
  }
  const start = seenBefore ? from : firstInPeriod;
  const { raw, reconnects } = replay(input, readings, spans, presence, start);
  const neverReported = readings.length === 0 && input.lastReadingBefore === null;
  return summarise(input, start, seenBefore ? null : start, raw, reconnects, battery, neverReported);
}

/** The history as the live hub would have seen it, through the one judgement (core/offline.ts). */
function replay(input: UptimeInput, readings: number[], spans: Window[], presence: PresenceSample[], start: number): { raw: Raw[]; reconnects: number } {
  const pb = input.presenceBefore;
  // presence after the last reading before the period leads into it (earlier ones were cleared by that reading)
  const after = (p: PresenceSample): boolean => p.ts < input.from && (input.lastReadingBefore === null || p.ts > input.lastReadingBefore);
  const lead = (input.presenceLead ?? []).filter(after).sort((a, b) => a.ts - b.ts);
  if (pb && after(pb) && !lead.some((p) => p.ts === pb.ts)) lead.push(pb);
  const s = liveness(input.lastReadingBefore ?? lead[0]?.ts ?? start);
  const steps: LivenessStep[] = [
    ...lead.map((p): LivenessStep => ({ ts: p.ts, kind: 'presence', online: p.online, cause: p.cause })),
    ...readings.map((ts): LivenessStep => ({ ts, kind: 'data' })),
    ...spans.map((w): LivenessStep => ({ ts: w.from, kind: 'data', until: w.until })),
    ...presence.map((p): LivenessStep => ({ ts: p.ts, kind: 'presence', online: p.online, cause: p.cause })),
  ];
  // at equal times a presence event goes first, so a reading at the same instant ends it
  steps.sort((a, b) => a.ts - b.ts || (a.kind === 'presence' ? -1 : b.kind === 'presence' ? 1 : 0));
  const r = replayOutages(s, steps, { silenceMs: input.thresholdMs, graceMs: input.graceMs }, input.to, input.from);
  return { raw: r.outages.map((o) => ({ start: o.start, end: o.end, cause: o.cause, startedBefore: o.start < start, rank: 0 })), reconnects: r.reconnects };
}

function mergeIntervals(raw: Raw[]): Raw[] {
  const sorted = [...raw].sort((a, b) => a.start - b.start || a.rank - b.rank);
  const out: Raw[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && r.start <= prev.end) prev.end = Math.max(prev.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** Union of windows clipped to [from, to), sorted and non-overlapping. */
export function unionWindows(ws: Window[], from: number, to: number): Window[] {
  const clipped = ws.map((w) => ({ from: Math.max(w.from, from), until: Math.min(w.until, to) })).filter((w) => w.until > w.from).sort((a, b) => a.from - b.from);
  const out: Window[] = [];
  for (const w of clipped) {
    const prev = out[out.length - 1];
    if (prev && w.from <= prev.until) prev.until = Math.max(prev.until, w.until);
    else out.push({ ...w });
  }
  return out;
}

/** Cuts [start, end) at window edges: pieces inside a window are planned. */
function splitBySilences(r: Raw, silences: Window[]): Array<{ start: number; end: number; planned: boolean }> {
  const pieces: Array<{ start: number; end: number; planned: boolean }> = [];
  let t = r.start;
  for (const w of silences) {
    if (w.until <= t || w.from >= r.end) continue;
    if (w.from > t) pieces.push({ start: t, end: w.from, planned: false });
    pieces.push({ start: Math.max(t, w.from), end: Math.min(r.end, w.until), planned: true });
    t = Math.min(r.end, w.until);
  }
  if (t < r.end) pieces.push({ start: t, end: r.end, planned: false });
  return pieces;
}

/**
 * The same result from outage records (the hub's own judgement as it happened): `outages` are the
 * device's intervals overlapping the period (an open one ending at `to`), `firstSeen` / `firstData`
 * its first sight and first data ever (null: none).
 */
export function uptimeFromOutages(input: Pick<UptimeInput, 'from' | 'to' | 'silences'>, firstSeen: number | null, firstData: number | null,
  outages: ReadonlyArray<{ start: number; end: number; cause: OfflineCause }>, reconnects: number, b: { last: number | null; trend: number | null }): UptimeResult {
  const { from, to } = input;
  if (firstSeen === null || firstSeen >= to) {
    const raw: Raw[] = to > from ? [{ start: from, end: to, cause: 'never_seen', startedBefore: true, rank: 0 }] : [];
    return summarise(input, from, null, raw, 0, b, true);
  }
  const seenBefore = firstSeen < from;
  const start = seenBefore ? from : firstSeen;
  const raw = outages.map((o): Raw => ({ start: o.start, end: o.end, cause: o.cause, startedBefore: o.start < start, rank: 0 }));
  return summarise(input, start, seenBefore ? null : start, raw, reconnects, b, firstData === null || firstData >= to);
}

function summarise(input: Pick<UptimeInput, 'to' | 'silences'>, start: number, firstSeen: number | null, raw: Raw[], reconnects: number,
  battery: { last: number | null; trend: number | null }, neverReported: boolean): UptimeResult {
  const { to } = input;
  const silences = unionWindows(input.silences, start, to);
  const intervals: OfflineInterval[] = [];
  let outages = 0;
  let longestMs = 0;
  const repaired: number[] = [];
  for (const r of mergeIntervals(raw.map((x) => ({ ...x, start: Math.max(x.start, start), end: Math.min(x.end, to) })).filter((x) => x.end > x.start))) {
    const pieces = splitBySilences(r, silences);
    const unplanned = pieces.filter((p) => !p.planned).reduce((s, p) => s + (p.end - p.start), 0);
    for (const p of pieces) {
      intervals.push({ start: p.start, end: p.end, durationMs: p.end - p.start, cause: r.cause, planned: p.planned, ongoing: p.end === to, startedBefore: r.startedBefore && p.start === r.start });
    }
    if (unplanned > 0) {
      outages++;
      longestMs = Math.max(longestMs, unplanned);
      if (r.end < to && !r.startedBefore) repaired.push(unplanned);
    }
  }
  const auditedMs = Math.max(0, to - start);
  const silencedMs = silences.reduce((s, w) => s + (w.until - w.from), 0);
  const unplannedMs = intervals.filter((i) => !i.planned).reduce((s, i) => s + i.durationMs, 0);
  const plannedMs = intervals.filter((i) => i.planned).reduce((s, i) => s + i.durationMs, 0);
  const denom = auditedMs - silencedMs;
  return {
    firstSeen, auditedMs, silencedMs, unplannedMs, plannedMs,
    uptimePct: denom > 0 ? (100 * (denom - unplannedMs)) / denom : null,
    intervals, outages, longestMs,
    mttrMs: repaired.length > 0 ? repaired.reduce((a, b) => a + b, 0) / repaired.length : null,
    reconnects, lastBattery: battery.last, batteryTrendPerDay: battery.trend, neverReported,
  };
}

/** Last battery value and the least-squares slope in % per day (null with fewer than two distinct times). */
export function batteryStats(samples: BatterySample[]): { last: number | null; trend: number | null } {
  const s = samples.filter((b) => Number.isFinite(b.value)).sort((a, b) => a.ts - b.ts);
  const last = s[s.length - 1]?.value ?? null;
  if (s.length < 2) return { last, trend: null };
  const t0 = s[0]?.ts ?? 0;
  const xs = s.map((b) => (b.ts - t0) / DAY_MS);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = s.reduce((a, b) => a + b.value, 0) / s.length;
  let sxy = 0;
  let sxx = 0;
  s.forEach((b, i) => {
    const dx = (xs[i] ?? 0) - mx;
    sxy += dx * (b.value - my);
    sxx += dx * dx;
  });
  return { last, trend: sxx > 0 ? sxy / sxx : null };
}
