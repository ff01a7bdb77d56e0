// From rule transitions to cases: a raise opens a case (or re-opens one resolved within
// `reopenWithin`, or notes a repeat on the open one); a clear resolves it. Escalation steps fire
// from stored deadlines, so a restart resumes them.
import { randomUUID } from 'node:crypto';
import type { AlertCase } from '../core/alert-types.js';
import { parseDuration } from '../core/rule-spec.js';
import type { RuleTransition } from '../rules/engine.js';
import { runActions } from './actions.js';
import { planEscalation } from './escalation.js';
import { route } from './routing.js';
import type { AlertCases } from './service.js';
import { findSilence } from './silences.js';

export function stepsFor(svc: AlertCases, c: Pick<AlertCase, 'severity'>): AlertCases['deps']['escalation']['critical'] {
  return svc.deps.escalation[c.severity];
}

function isMuted(svc: AlertCases, c: AlertCase, now: number): string | undefined {
  return findSilence(svc.deps.store.silences(), { device: c.device, street: c.street, community: c.community, grid: c.grid, building: c.building }, now)?.id;
}

/** Applies one rule transition; returns the case it touched, if any. */
export function applyTransition(svc: AlertCases, t: RuleTransition): AlertCase | undefined {
  const { store } = svc.deps;
  const now = svc.now();
  const active = store.activeCase(t.device.id, t.rule.id);
  if (t.transition === 'clear') {
    if (!active) return undefined;
    active.state = 'resolved';
    active.resolvedAt = now;
    svc.commit(active, [{ actor: 'system', action: 'resolved', note: 'condition cleared', data: { trigger: t.trigger } }], () => store.cancelEscalations(active.id));
    return active;
  }
  if (active) {
    // one open case per (device, rule): a repeat (e.g. another tamper event) is noted on it
    if (t.rule.condition.type === 'event') svc.commit(active, [{ actor: 'system', action: 'seen', data: { trigger: t.trigger } }]);
    return active;
  }
  const reopenWithin = parseDuration(svc.deps.escalation.reopenWithin);
  const recent = store.recentlyResolved(t.device.id, t.rule.id, now - reopenWithin);
  let c: AlertCase;
  if (recent) {
    c = recent;
    c.state = 'open';
    c.reopenedAt = now;
    c.escalationStep = -1;
    delete c.resolvedAt;
    delete c.acknowledgedAt;
    delete c.acknowledgedBy;
    c.trigger = t.trigger;
  } else {
    const d = t.device;
    c = {
      id: randomUUID(), device: d.id, rule: t.rule.id, kind: d.kind, severity: t.rule.severity, state: 'open',
      title: t.rule.title ?? { zh: t.rule.id, en: t.rule.id },
      street: d.street, community: d.community, grid: d.grid, building: d.building, ...(d.unit === undefined ? {} : { unit: d.unit }),
      openedAt: now, updatedAt: now, escalationStep: -1, trigger: t.trigger,
    };
  }
  const silence = isMuted(svc, c, now);
  const entries: Parameters<AlertCases['commit']>[1] = [{ actor: 'system', action: recent ? 'reopened' : 'opened', data: { trigger: t.trigger } }];
  if (silence) entries.push({ actor: 'system', action: 'silenced', data: { silence } });
  svc.commit(c, entries, () => {
    if (!silence) store.planEscalations(c.id, planEscalation(c, stepsFor(svc, c)));
  });
  if (t.rule.actions?.length) runActions(svc, c, t.rule.actions);
  runEscalations(svc, now);
  return svc.deps.store.getCase(c.id);
}

/** Fires every escalation step due at `now`. */
export function runEscalations(svc: AlertCases, now: number): void {
  const { store } = svc.deps;
  for (const due of store.dueEscalations(now)) {
    const c = store.getCase(due.caseId);
    const step = c ? stepsFor(svc, c)[due.step] : undefined;
    if (!c || !step || c.state !== 'open' || due.step <= c.escalationStep) {
      store.dropEscalation(due.caseId, due.step);
      continue;
    }
    c.escalationStep = due.step;
    const silence = isMuted(svc, c, now);
    if (silence) {
      // silenced after the case opened: the step is recorded as muted, nobody is called
      svc.commit(c, [{ actor: 'system', action: 'silenced', data: { silence, step: due.step, to: step.to } }], () => store.dropEscalation(due.caseId, due.step));
      continue;
    }
    const r = route(step.to, c.grid, now, svc.deps.routing);
    if (!c.assignee && r.recipients[0]) c.assignee = r.recipients[0].id;
    const entries: Parameters<AlertCases['commit']>[1] = [];
    if (r.noOneOnDuty) entries.push({ actor: 'system', action: 'no_one_on_duty', note: `nobody at ${step.to} for grid ${c.grid}; sent to ${r.level}`, data: { asked: step.to, reached: r.level } });
    entries.push({ actor: 'system', action: 'escalated', note: `step ${due.step + 1}/${stepsFor(svc, c).length}: ${step.to}`, data: { step: due.step, to: step.to, level: r.level, recipients: r.recipients.map((p) => p.id), dueAt: due.at } });
    const saved = svc.commit(c, entries, () => store.dropEscalation(due.caseId, due.step));
    const entry = saved[saved.length - 1];
    if (entry) {
      const reason = due.step > 0 ? 'escalated' : c.reopenedAt !== undefined ? 'reopened' : 'opened';
      svc.notify({ case: c, entry, recipients: r.recipients, step: due.step, reason, ...(r.noOneOnDuty ? { fallback: true } : {}) });
    }
  }
}
