// Escalation timing, pure: each step fires `after` the case opened (or re-opened); only an open
// (unacknowledged) case escalates. The store keeps the planned deadlines so a restart resumes.
import type { AlertCase } from '../core/alert-types.js';
import { parseDuration } from '../core/rule-spec.js';

export interface EscalationStep {
  to: 'grid_worker' | 'grid_leader' | 'street_duty';
  after: string;
}

export interface PlannedStep { step: number; at: number }

export function escalationBase(c: Pick<AlertCase, 'openedAt' | 'reopenedAt' | 'raisedAt'>): number {
  return Math.max(c.openedAt, c.reopenedAt ?? 0, c.raisedAt ?? 0);
}

/** Deadlines of the steps not yet reached. */
export function planEscalation(c: Pick<AlertCase, 'openedAt' | 'reopenedAt' | 'raisedAt' | 'escalationStep'>, steps: readonly EscalationStep[]): PlannedStep[] {
  const base = escalationBase(c);
  const out: PlannedStep[] = [];
  steps.forEach((s, step) => {
    if (step > c.escalationStep) out.push({ step, at: base + parseDuration(s.after) });
  });
  return out;
}

/** Steps due at `now` (in order) and when the next one falls due. */
export function nextEscalation(c: Pick<AlertCase, 'state' | 'openedAt' | 'reopenedAt' | 'raisedAt' | 'escalationStep'>, steps: readonly EscalationStep[], now: number): { due: number[]; nextAt: number | undefined } {
  if (c.state !== 'open') return { due: [], nextAt: undefined };
  const due: number[] = [];
  let nextAt: number | undefined;
  for (const p of planEscalation(c, steps)) {
    if (p.at <= now) due.push(p.step);
    else if (nextAt === undefined || p.at < nextAt) nextAt = p.at;
  }
  return { due, nextAt };
}
