// Pure alert-list logic: merging live changes, what a new critical is, which buttons a state offers.
import type { AlertCase, AlertChange, CaseState } from '../types.js';

/** cases the live list shows; closed cases leave it */
export const LIST_STATES: CaseState[] = ['open', 'acknowledged', 'resolved'];

export type ButtonAction = 'ack' | 'resolve' | 'close';

export function newestFirst(a: AlertCase, b: AlertCase): number {
  return b.openedAt - a.openedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** the list after a case changed: replaced in place or added, closed ones dropped, newest first */
export function upsertCase(list: readonly AlertCase[], next: AlertCase): AlertCase[] {
  const prev = list.find((c) => c.id === next.id);
  // an older copy arriving late (e.g. a REST reply after a live event) must not win
  if (prev && prev.updatedAt > next.updatedAt) return [...list];
  const rest = list.filter((c) => c.id !== next.id);
  if (LIST_STATES.includes(next.state)) rest.push(next);
  return rest.sort(newestFirst);
}

/** ring and vibrate only for a critical case that has just opened (or reopened) */
export function isNewCritical(list: readonly AlertCase[], change: AlertChange): boolean {
  if (change.case.severity !== 'critical') return false;
  if (change.entry.action !== 'opened' && change.entry.action !== 'reopened') return false;
  const prev = list.find((c) => c.id === change.case.id);
  return prev === undefined || prev.state === 'resolved' || prev.state === 'closed';
}

export function actionsFor(state: CaseState): ButtonAction[] {
  switch (state) {
    case 'open':
      return ['ack', 'resolve'];
    case 'acknowledged':
      return ['resolve', 'close'];
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
