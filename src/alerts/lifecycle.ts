// Which case transitions are allowed (open → acknowledged → resolved → closed; resolved → open
// on a re-open). Invalid ones throw GW_ERR_ALERT_TRANSITION.
import type { CaseState } from '../core/alert-types.js';
import { GridwatchError } from '../core/errors.js';

export type CaseAction = 'acknowledge' | 'resolve' | 'close' | 'reopen' | 'comment' | 'reassign';

const FROM: Record<CaseAction, readonly CaseState[]> = {
  acknowledge: ['open'],
  resolve: ['open', 'acknowledged'],
  close: ['resolved'],
  reopen: ['resolved'],
  comment: ['open', 'acknowledged', 'resolved', 'closed'],
  reassign: ['open', 'acknowledged', 'resolved'],
};

const TO: Partial<Record<CaseAction, CaseState>> = { acknowledge: 'acknowledged', resolve: 'resolved', close: 'closed', reopen: 'open' };

export function canTransition(from: CaseState, action: CaseAction): boolean {
  return FROM[action].includes(from);
}

/** The state after `action`, or a GridwatchError naming the case, its state and what is allowed. */
export function nextState(id: string, from: CaseState, action: CaseAction): CaseState {
  if (!canTransition(from, action)) {
    throw new GridwatchError('GW_ERR_ALERT_TRANSITION', `alert ${id} is ${from}: cannot ${action} (allowed from: ${FROM[action].join(', ')})`, { details: { id, state: from, action, allowedFrom: FROM[action] } });
  }
  return TO[action] ?? from;
}

export function isActive(state: CaseState): boolean {
  return state === 'open' || state === 'acknowledged';
}
