// The one definition of "offline" (shared/domain.md, "Reporting and offline"), used alike by the
// rules (noData), the uptime audit (raw recomputation and the live outage records) and the
// panel's status board. Pure: every time is passed in.
//
// A device is offline when
//  - it has been silent (no accepted reading or device event) for longer than
//    max(factor x its report interval, minSilence), or
//  - its connection dropped (Last Will: `lwt`, or keep-alive `timeout`) and neither a reconnect nor
//    any data followed within the reconnect grace.
// A clean DISCONNECT is not an outage: battery sensors connect, report and disconnect, and only
// the silence judges them. A connect alone cancels the grace of a drop but is not data: a device
// that connects and says nothing still falls silent.
import type { PresenceCause, PresenceEvent } from './domain.js';

export interface OfflinePolicy {
  /** silence threshold = max(factor x intervalS, minSilenceMs) */
  factor: number;
  minSilenceMs: number;
  /** a dropped connection counts only when no reconnect or data follows within this */
  graceMs: number;
}

export const OFFLINE_DEFAULTS: Readonly<OfflinePolicy> = Object.freeze({ factor: 3, minSilenceMs: 5 * 60_000, graceMs: 2 * 60_000 });

export function offlinePolicy(over: Partial<OfflinePolicy> = {}): OfflinePolicy {
  return { ...OFFLINE_DEFAULTS, ...over };
}

export type DropCause = 'lwt' | 'timeout';
export type OutageCause = 'silent' | DropCause;

/** A connection that ended without a clean DISCONNECT. */
export function isDrop(cause: PresenceCause): cause is DropCause {
  return cause === 'lwt' || cause === 'timeout';
}

export function silenceThresholdMs(intervalS: number, p: OfflinePolicy = OFFLINE_DEFAULTS): number {
  return Math.max(p.factor * intervalS * 1000, p.minSilenceMs);
}

/** What the hub knows of a device's liveness. Mutated in place by the functions below. */
export interface Liveness {
  /** the last data (reading or device event) received */
  lastSeen: number;
  /** a dropped connection not yet followed by a reconnect or data */
  dropAt: number | undefined;
  dropCause: DropCause | undefined;
}

/** `since`: when the silence clock starts (first sight, or the hub's start). */
export function liveness(since: number): Liveness {
  return { lastSeen: since, dropAt: undefined, dropCause: undefined };
}

/** Data from the device (an accepted reading or device event) received at `t`. */
export function noteData(s: Liveness, t: number): void {
  if (t > s.lastSeen) s.lastSeen = t;
  s.dropAt = undefined;
  s.dropCause = undefined;
}

/** A presence change at `t`: a connect ends a drop's grace; a drop starts it; a clean DISCONNECT does nothing. */
export function notePresence(s: Liveness, e: Pick<PresenceEvent, 'online' | 'cause'>, t: number): void {
  if (e.online) {
    s.dropAt = undefined;
    s.dropCause = undefined;
  } else if (isDrop(e.cause) && s.dropAt === undefined) {
    s.dropAt = t;
    s.dropCause = e.cause;
  }
}

/** The two durations that judge one device: its silence threshold and the reconnect grace. */
export interface Judgement { silenceMs: number; graceMs: number }

export function judgementOf(intervalS: number, p: OfflinePolicy = OFFLINE_DEFAULTS): Judgement {
  return { silenceMs: silenceThresholdMs(intervalS, p), graceMs: p.graceMs };
}

/** When the device turns offline if nothing more arrives. */
export function offlineDeadline(s: Liveness, intervalS: number, p: OfflinePolicy = OFFLINE_DEFAULTS): number {
  return deadlineOf(s, judgementOf(intervalS, p));
}

export function deadlineOf(s: Liveness, j: Judgement): number {
  const silent = s.lastSeen + j.silenceMs;
  return s.dropAt === undefined ? silent : Math.min(silent, s.dropAt + j.graceMs);
}

export function isOffline(s: Liveness, intervalS: number, now: number, p: OfflinePolicy = OFFLINE_DEFAULTS): boolean {
  return now >= offlineDeadline(s, intervalS, p);
}

/**
 * The outage that starts if nothing more arrives: a drop counts from the drop itself (the device
 * was unreachable from then on), a silence from last data + the threshold.
 */
export function pendingOutage(s: Liveness, j: Judgement): { start: number; cause: OutageCause; judgedAt: number } {
  const silentAt = s.lastSeen + j.silenceMs;
  const judgedAt = deadlineOf(s, j);
  if (s.dropAt !== undefined && s.dropCause !== undefined && s.dropAt < silentAt) return { start: s.dropAt, cause: s.dropCause, judgedAt };
  return { start: silentAt, cause: 'silent', judgedAt };
}

export interface OutageInterval { start: number; end: number; cause: OutageCause }

/** what most steps bring: nothing ended, no reconnect (shared, never written to) */
const NOTHING: { ended?: OutageInterval; reconnect?: { dropAt: number; at: number } } = Object.freeze({});

export type LivenessStep =
  /** data at ts; with `until`: data no further apart than the silence threshold from ts to until */
  | { ts: number; kind: 'data'; until?: number }
  | { ts: number; kind: 'presence'; online: boolean; cause: PresenceCause };

/**
 * Follows one device through its history, live (the hub's outage records) or replayed from
 * storage (the audit's raw recomputation): the same code either way. Judging is lazy: an outage
 * is known to have started when the next step (or `pending(t)`) comes after its deadline, so no
 * timer is needed; data ends it. `open` is the outage judged but not yet ended.
 */
export class OutageFollower {
  open: { start: number; cause: OutageCause } | undefined;

  constructor(readonly live: Liveness, open?: { start: number; cause: OutageCause }) {
    this.open = open;
  }

  /** One step; returns the outage it ended, or a reconnect (a drop cancelled within the grace). */
  step(st: LivenessStep, j: Judgement): { ended?: OutageInterval; reconnect?: { dropAt: number; at: number } } {
    this.judge(st.ts, j, st.kind === 'data');
    const drop = this.live.dropAt;
    if (st.kind === 'data') {
      const out = this.open ? { ended: { ...this.open, end: st.ts } } : drop !== undefined ? { reconnect: { dropAt: drop, at: st.ts } } : NOTHING;
      this.open = undefined;
      noteData(this.live, st.until ?? st.ts);
      return out;
    }
    const out = st.online && !this.open && drop !== undefined ? { reconnect: { dropAt: drop, at: st.ts } } : NOTHING;
    notePresence(this.live, st, st.ts);
    return out;
  }

  /** The outage under way at `t`, if any (judged now, not ended). */
  pending(t: number, j: Judgement): { start: number; cause: OutageCause } | undefined {
    this.judge(t, j, false);
    return this.open;
  }

  // data arriving exactly at the deadline wins over the judgement (as in the live hub)
  private judge(t: number, j: Judgement, data: boolean): void {
    if (this.open) return;
    const judgedAt = deadlineOf(this.live, j); // (the outage itself only when judged: no object per step)
    if (!(data ? t > judgedAt : t >= judgedAt)) return;
    const o = pendingOutage(this.live, j);
    this.open = { start: o.start, cause: o.cause };
  }
}

/**
 * Replays a device's history (sorted by time; at equal times presence first) through the same
 * judgement the hub applies live, and returns its outages, the last one open (end = `to`) when it
 * has not ended by `to`. `s` is the state at the start of the history (mutated); reconnects are
 * counted from `countFrom` (steps before it only lead into the period).
 */
export function replayOutages(s: Liveness, steps: readonly LivenessStep[], j: Judgement, to: number, countFrom = -Infinity): { outages: OutageInterval[]; open: boolean; reconnects: number } {
  const f = new OutageFollower(s);
  const outages: OutageInterval[] = [];
  let reconnects = 0;
  for (const st of steps) {
    if (st.ts > to) break;
    const r = f.step(st, j);
    if (r.ended) outages.push(r.ended);
    if (r.reconnect && r.reconnect.at >= countFrom) reconnects++;
  }
  const open = f.pending(to, j);
  if (open) outages.push({ ...open, end: to });
  return { outages, open: open !== undefined, reconnects };
}
