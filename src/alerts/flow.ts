// From rule transitions to cases: a raise opens a case (or re-opens one resolved within
// `reopenWithin`, or raises the severity of the open case of the same device and hazard, or notes
// a repeat on it); a clear resolves it once no rule of its incident holds. Escalation steps fire
// from stored deadlines, so a restart resumes them.
import { randomUUID } from 'node:crypto';
import type { AlertCase } from '../core/alert-types.js';
import { parseDuration } from '../core/rule-spec.js';
import type { RuleTransition } from '../rules/engine.js';
import { runActions } from './actions.js';
import { planEscalation } from './escalation.js';
import { incidentOf, isHigher, withRule } from './incident.js';
import { route } from './routing.js';
import type { AlertCases } from './service.js';
import { findSilence } from './silences.js';

export function stepsFor(svc: AlertCases, c: Pick<AlertCase, 'severity'>): AlertCases['deps']['escalation']['critical'] {
  return svc.deps.escalation[c.severity];
}

function isMuted(svc: AlertCases, c: AlertCase, now: number): string | undefined {
  return findSilence(svc.deps.store.silences(), { device: c.device, street: c.street, community: c.community, grid: c.grid, building: c.building }, now)?.id;
}

const RANK = { critical: 0, warning: 1, info: 2 } as const;

/**
 * One reading may raise several levels of a hazard at once (30 % LEL passes 10 and 25): the
 * highest goes first, so the case opens critical once instead of opening warning and being raised.
 */
export function bySeverity(ts: readonly RuleTransition[]): RuleTransition[] {
  return [...ts].sort((a, b) => RANK[a.rule.severity] - RANK[b.rule.severity]);
}

/** Applies one rule transition; returns the case it touched, if any. */
export function applyTransition(svc: AlertCases, t: RuleTransition): AlertCase | undefined {
  const { store } = svc.deps;
  const now = svc.now();
  const incident = incidentOf(t.rule);
  const active = store.activeIncident(t.device.id, incident);
  // event rules (tamper, button) are moments, not conditions that hold
  const holds = t.rule.condition.type !== 'event';
  if (t.transition === 'clear') return clearRule(svc, t, active ?? store.latestIncident(t.device.id, incident));
  if (active) {
    if (holds) active.activeRules = withRule(active.activeRules ?? [active.rule], t.rule.id, true);
    if (isHigher(t.rule.severity, active.severity)) return raiseSeverity(svc, active, t, now);
    // one open case per (device, incident): a repeat (e.g. another tamper event) is noted on it
    svc.commit(active, t.rule.condition.type === 'event' ? [{ actor: 'system', action: 'seen', data: { trigger: t.trigger } }] : []);
    return active;
  }
  const reopenWithin = parseDuration(svc.deps.escalation.reopenWithin);
  const recent = store.recentlyResolvedIncident(t.device.id, incident, now - reopenWithin);
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
    if (isHigher(t.rule.severity, c.severity)) Object.assign(c, { severity: t.rule.severity, rule: t.rule.id, title: t.rule.title ?? { zh: t.rule.id, en: t.rule.id } });
  } else {
    const d = t.device;
    c = {
      id: randomUUID(), device: d.id, rule: t.rule.id, kind: d.kind, severity: t.rule.severity, state: 'open',
      title: t.rule.title ?? { zh: t.rule.id, en: t.rule.id },
      street: d.street, community: d.community, grid: d.grid, building: d.building, ...(d.unit === undefined ? {} : { unit: d.unit }),
      openedAt: now, updatedAt: now, escalationStep: -1, trigger: t.trigger,
    };
  }
  c.incident = incident;
  c.activeRules = holds ? withRule(c.activeRules, t.rule.id, true) : (c.activeRules ?? []);
  const silence = isMuted(svc, c, now);
  const entries: Parameters<AlertCases['commit']>[1] = [{ actor: 'system', action: recent ? 'reopened' : 'opened', data: { trigger: t.trigger, rule: t.rule.id } }];
  if (silence) entries.push({ actor: 'system', action: 'silenced', data: { silence } });
  svc.commit(c, entries, () => {
    if (!silence) store.planEscalations(c.id, planEscalation(c, stepsFor(svc, c)));
  });
  if (t.rule.actions?.length) runActions(svc, c, t.rule.actions);
  runEscalations(svc, now);
  return svc.deps.store.getCase(c.id);
}

/**
 * A rule of the incident clears: the case resolves when no rule of its incident holds any more;
 * otherwise (the critical level cleared, the warning level still holds; or a case resolved by
 * hand) the clearing is recorded on it.
 */
function clearRule(svc: AlertCases, t: RuleTransition, c: AlertCase | undefined): AlertCase | undefined {
  if (!c) return undefined;
  const before = c.activeRules ?? (c.state === 'open' || c.state === 'acknowledged' ? [c.rule] : []);
  if (!before.includes(t.rule.id)) return undefined;
  c.activeRules = withRule(before, t.rule.id, false);
  if ((c.state === 'open' || c.state === 'acknowledged') && c.activeRules.length === 0) {
    c.state = 'resolved';
    c.resolvedAt = svc.now();
    svc.commit(c, [{ actor: 'system', action: 'resolved', note: 'condition cleared', data: { trigger: t.trigger, rule: t.rule.id } }], () => svc.deps.store.cancelEscalations(c.id));
    return c;
  }
  svc.commit(c, [{ actor: 'system', action: 'condition_cleared', data: { trigger: t.trigger, rule: t.rule.id, stillActive: c.activeRules } }]);
  return c;
}

/**
 * A higher level of the same hazard (gas 10 % → 25 % LEL): the SAME case takes the new severity,
 * title and trigger, needs acknowledging again and escalates by the new severity's steps from now.
 */
function raiseSeverity(svc: AlertCases, c: AlertCase, t: RuleTransition, now: number): AlertCase | undefined {
  const { store } = svc.deps;
  const from = c.severity;
  Object.assign(c, { severity: t.rule.severity, rule: t.rule.id, title: t.rule.title ?? { zh: t.rule.id, en: t.rule.id }, trigger: t.trigger, raisedAt: now, escalationStep: -1, state: 'open' });
  const wasAcked = c.acknowledgedBy;
  delete c.acknowledgedAt;
  delete c.acknowledgedBy;
  const silence = isMuted(svc, c, now);
  const entries: Parameters<AlertCases['commit']>[1] = [{ actor: 'system', action: 'severity_raised', data: { from, to: t.rule.severity, rule: t.rule.id, trigger: t.trigger, ...(wasAcked ? { acknowledgedBefore: wasAcked } : {}) } }];
  if (silence) entries.push({ actor: 'system', action: 'silenced', data: { silence } });
  svc.commit(c, entries, () => {
    store.cancelEscalations(c.id);
    if (!silence) store.planEscalations(c.id, planEscalation(c, stepsFor(svc, c)));
  });
  if (t.rule.actions?.length) runActions(svc, c, t.rule.actions);
  runEscalations(svc, now);
  return store.getCase(c.id);
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
