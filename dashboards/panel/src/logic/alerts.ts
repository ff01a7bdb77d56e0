// Pure alert-list logic: merging live changes, triage order, what a new critical is, which buttons
// a state offers, how long a case has waited.
import type { AlertCase, AlertChange, CaseState, Severity } from '../types.js';

/** cases the live list shows; closed cases leave it (they are in the history) */
export const LIST_STATES: CaseState[] = ['open', 'acknowledged', 'resolved'];

export type ButtonAction = 'ack' | 'resolve' | 'close';

const SEVERITY_RANK: Record<Severity, number> = { critical: 2, warning: 1, info: 0 };
const STATE_RANK: Record<CaseState, number> = { open: 0, acknowledged: 1, resolved: 2, closed: 3 };

/** when the case (last) started waiting for someone: its re-open or its opening */
export function waitingSince(c: AlertCase): number {
  return c.reopenedAt ?? c.openedAt;
}

export function isUnackedCritical(c: AlertCase): boolean {
  return c.state === 'open' && c.severity === 'critical';
}

/**
 * Triage order: open unacknowledged criticals first; resolved cases last; then severity, then
 * open before acknowledged, then the longest waiting first.
 */
export function triageOrder(a: AlertCase, b: AlertCase): number {
  return Number(isUnackedCritical(b)) - Number(isUnackedCritical(a))
    || Number(a.state === 'resolved') - Number(b.state === 'resolved')
    || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]
    || STATE_RANK[a.state] - STATE_RANK[b.state]
    || waitingSince(a) - waitingSince(b)
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** the list after a case changed: replaced in place or added, closed ones dropped, triage order */
export function upsertCase(list: readonly AlertCase[], next: AlertCase): AlertCase[] {
  const prev = list.find((c) => c.id === next.id);
  // an older copy arriving late (e.g. a REST reply after a live event) must not win
  if (prev && prev.updatedAt > next.updatedAt) return [...list];
  const rest = list.filter((c) => c.id !== next.id);
  if (LIST_STATES.includes(next.state)) rest.push(next);
  return rest.sort(triageOrder);
}

/** ring and vibrate for a critical case that has just opened, re-opened or been raised to critical */
export function isNewCritical(list: readonly AlertCase[], change: AlertChange): boolean {
  if (change.case.severity !== 'critical' || change.case.state !== 'open') return false;
  const a = change.entry.action;
  if (a !== 'opened' && a !== 'reopened' && a !== 'severity_raised') return false;
  const prev = list.find((c) => c.id === change.case.id);
  return prev === undefined || prev.state !== 'open' || prev.severity !== 'critical';
}

export function actionsFor(state: CaseState): ButtonAction[] {
  switch (state) {
    case 'open':
      return ['ack', 'resolve'];
    case 'acknowledged':
      return ['resolve'];
    case 'resolved':
      return ['close'];
    case 'closed':
      return [];
  }
}

/** a close note must say something: cause and action (建档销账) */
export function validCloseNote(note: string): boolean {
  return note.trim().length > 0;
}

/** whole minutes between two instants, never negative */
export function minutesBetween(from: number, to: number): number {
  return Math.max(0, Math.floor((to - from) / 60_000));
}
