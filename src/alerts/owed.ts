// Which notifications a channel still owes, read from a case's ledger alone (pure): what a hub
// stopped or killed while a delivery waited for its retry (or before its first try) never
// recorded. The notify stage records each delivery on the case (`notified`, or `delivery_failed`
// with `final: true` for a dead letter), naming the channel and the ledger entry it was about
// (`entry`, its seq); a delivery neither records is owed, so a start or a new rules leader
// delivers it again (at least once: a send that succeeded just before a kill may go out twice).
import type { AlertCase, LedgerEntry, Notification } from '../core/alert-types.js';

/** A notification the ledger shows was made and not settled on the channel. */
export interface OwedNotification {
  /** the ledger entry it is about: `escalated` (a step) or `reassigned` */
  entry: LedgerEntry;
  step: number;
  reason: Notification['reason'];
  /** person ids, as on the entry */
  recipients: string[];
  fallback: boolean;
}

/** Leaving 'open' mutes what came before (the pipeline's acknowledgement rule): only later entries may be owed. */
const ENDS_EPISODE = new Set<LedgerEntry['action']>(['acknowledged', 'resolved', 'closed']);

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** `record` settles the notification about `entry` (step `step`) on `channel`. */
function settles(record: LedgerEntry, entry: LedgerEntry, step: number, channel: string): boolean {
  const d = record.data ?? {};
  if (d.channel !== channel || record.seq <= entry.seq) return false;
  const final = record.action === 'notified' || (record.action === 'delivery_failed' && d.final === true);
  if (!final) return false;
  // records written before they named their entry: the same step (a dead letter of then named none)
  if (d.entry === undefined) return d.step === undefined || d.step === step;
  return d.entry === entry.seq;
}

/**
 * The notifications of case `c` that `channel` owes, oldest first: none unless the case is open;
 * of those made since it last left 'open' (acknowledged, resolved, closed), each with no
 * `notified` and no final `delivery_failed` record for the channel. `ledger` in the order it was
 * written (the store's `ledger(caseId)`).
 */
export function owedNotifications(c: Pick<AlertCase, 'state' | 'reopenedAt'>, ledger: readonly LedgerEntry[], channel: string): OwedNotification[] {
  if (c.state !== 'open') return [];
  const made: OwedNotification[] = [];
  let step = -1; // the case's escalationStep as each entry was written
  for (const [i, e] of ledger.entries()) {
    if (ENDS_EPISODE.has(e.action)) made.length = 0;
    else if (e.action === 'reopened' || e.action === 'severity_raised') step = -1;
    else if (e.action === 'escalated' && typeof e.data?.step === 'number') {
      step = e.data.step;
      // as the escalation step named it (flow.ts fireStep); reopenedAt, once set, stays on the case
      const reason = step > 0 ? 'escalated' : c.reopenedAt !== undefined ? 'reopened' : 'opened';
      made.push({ entry: e, step, reason, recipients: ids(e.data.recipients), fallback: ledger[i - 1]?.action === 'no_one_on_duty' });
    } else if (e.action === 'reassigned' && typeof e.data?.person === 'string') {
      made.push({ entry: e, step, reason: 'reassigned', recipients: [e.data.person], fallback: false });
    }
  }
  return made.filter((n) => !ledger.some((r) => settles(r, n.entry, n.step, channel)));
}
