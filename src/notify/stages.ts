// The "does this stop here?" stages before delivery: mute and dedup (Alertmanager's MuteStage and
// DedupStage). Muters are one interface with several implementations, each small and pure.
import type { Notification } from '../core/alert-types.js';
import type { Severity } from '../core/domain.js';
import type { Channel } from './types.js';

export interface Muter {
  readonly name: string;
  /** why the notification is muted for this channel, or undefined to let it through */
  muted(n: Notification, channel: Channel): string | undefined;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** The channel's route: minimum severity and grids (config `channels[].minSeverity`, `.grids`). */
export const routeMuter: Muter = {
  name: 'route',
  muted(n, channel) {
    if (channel.minSeverity && RANK[n.case.severity] < RANK[channel.minSeverity]) return `severity ${n.case.severity} below ${channel.minSeverity}`;
    if (channel.grids && !channel.grids.includes(n.case.grid)) return `grid ${n.case.grid} not routed to this channel`;
    return undefined;
  },
};

/**
 * Acknowledged cases: a notification about a still-open case whose ledger entry is not newer than
 * the acknowledgement is stale (it raced the ack) and goes nowhere. A later entry (re-opened) passes;
 * so do notices about the ack or resolution itself (the case is no longer 'open' in them).
 */
export class AckMuter implements Muter {
  readonly name = 'acknowledged';
  private readonly cancelledAt = new Map<string, number>();

  mark(caseId: string, ts: number): void {
    this.cancelledAt.set(caseId, Math.max(ts, this.cancelledAt.get(caseId) ?? ts));
  }

  /** forget marks older than `before` (bounded memory) */
  prune(before: number): void {
    for (const [id, ts] of this.cancelledAt) if (ts < before) this.cancelledAt.delete(id);
  }

  muted(n: Notification): string | undefined {
    const at = this.cancelledAt.get(n.case.id);
    if (at === undefined || n.case.state !== 'open' || n.entry.ts > at) return undefined;
    return 'case acknowledged';
  }
}

/**
 * The dedup key: one ledger entry of a case is one notification (per step, reason, state and
 * severity). The alerting stage writes a new entry for every step it fires, so a case reopened a
 * second time within the window, or raised to a higher severity (escalating from step 0 again),
 * is a new alarm and is sent; what dedup stops is the same entry handed over twice (a resume at
 * take-over or start while this process still delivers it).
 */
export function dedupKey(n: Notification): string {
  return `${n.case.id}|${n.entry.seq}|${n.step}|${n.reason}|${n.case.state}|${n.case.severity}`;
}

/**
 * Remembers what was delivered (or is being delivered) per key for `windowMs`; a failed or
 * cancelled delivery is forgotten so the alerting stage may try again.
 */
export class Deduper {
  private readonly seen = new Map<string, number>();
  constructor(private readonly windowMs: number) {}

  /** true when the key is new (and now claimed) */
  claim(key: string, now: number): boolean {
    for (const [k, ts] of this.seen) if (now - ts >= this.windowMs) this.seen.delete(k);
    if (this.seen.has(key)) return false;
    this.seen.set(key, now);
    return true;
  }

  release(key: string): void {
    this.seen.delete(key);
  }
}
