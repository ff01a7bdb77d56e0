// From rule transitions to cases: a raise opens a case (or re-opens one resolved within
// `reopenWithin`, or raises the severity of the open case of the same device and hazard, or notes
// a repeat on it); a clear resolves it once no rule of its incident holds. Escalation steps fire
// from stored deadlines, so a restart (or another hub taking the lead) resumes them. These are the
// rules leader's writes: they go through the service's fence, and run inside its `exclusive`.
import { randomUUID } from 'node:crypto';
import type { AlertCase } from '../core/alert-types.js';
import { parseDuration } from '../core/rule-spec.js';
import type { RuleTransition } from '../rules/engine.js';
import { saveCommands, sendActions, sentEntries, type SentCommand } from './actions.js';
import { planEscalation } from './escalation.js';
import { incidentOf, isHigher, withRule } from './incident.js';
import { route } from './routing.js';
import type { AlertCases, CommitOptions } from './service.js';
import type { DueEscalation } from './store.js';
import { findSilence } from './silences.js';

export function stepsFor(svc: AlertCases, c: Pick<AlertCase, 'severity'>): AlertCases['deps']['escalation']['critical'] {
  return svc.deps.escalation[c.severity];
}

async function isMuted(svc: AlertCases, c: AlertCase, now: number): Promise<string | undefined> {
  return findSilence(await svc.deps.store.silences(), { device: c.device, street: c.street, community: c.community, grid: c.grid, building: c.building }, now)?.id;
}

const RANK = { critical: 0, warning: 1, info: 2 } as const;

/**
 * One reading may raise several levels of a hazard at once (30 % LEL passes 10 and 25): the
 * highest goes first, so the case opens critical once instead of opening warning and being raised.
 */
export function bySeverity(ts: readonly RuleTransition[]): RuleTransition[] {
  return [...ts].sort((a, b) => RANK[a.rule.severity] - RANK[b.rule.severity]);
}

/**
 * What one transition did already, kept across its retries: its commands go out once, and a new
 * case keeps the id they are recorded under.
 */
export interface Acted { caseId?: string; sent?: SentCommand[]; recorded?: boolean }

/**
 * ACT AT ONCE: the rule's actions (valve, siren) for case `c` are handed to the broker before the
 * case is written, once per transition (a retry only records them, in its case commit). A case
 * store that fails does not keep them from the devices.
 */
function act(svc: AlertCases, c: AlertCase, t: RuleTransition, acted: Acted): void {
  acted.caseId = c.id;
  if (!t.rule.actions?.length || acted.sent) return;
  acted.sent = sendActions(svc, c, t.rule.actions);
}

/** The commands this transition sent that no commit has recorded yet (none after the one that did). */
function unrecorded(acted: Acted): SentCommand[] {
  return acted.sent && !acted.recorded ? acted.sent : [];
}

/**
 * Applies one rule transition; returns the case it touched, if any. The caller holds the
 * service's `exclusive`; a conflict with another hub's change (GW_ERR_ALERT_CONFLICT, nothing
 * written) may be retried with the same `acted`: it reads the cases again.
 */
export async function applyTransition(svc: AlertCases, t: RuleTransition, acted: Acted = {}): Promise<AlertCase | undefined> {
  const { store } = svc.deps;
  const now = svc.now();
  const incident = incidentOf(t.rule);
  const active = await store.activeIncident(t.device.id, incident);
  // event rules (tamper, button) are moments, not conditions that hold
  const holds = t.rule.condition.type !== 'event';
  if (t.transition === 'clear') return clearRule(svc, t, active ?? await store.latestIncident(t.device.id, incident));
  if (active) {
    if (holds) active.activeRules = withRule(active.activeRules ?? [active.rule], t.rule.id, true);
    if (isHigher(t.rule.severity, active.severity)) return raiseSeverity(svc, active, t, now, acted);
    // one open case per (device, incident): a repeat (e.g. another tamper event) is noted on it
    // (with the commands an earlier attempt, which found no case, sent)
    const commands = unrecorded(acted);
    const seen = t.rule.condition.type === 'event' ? [{ actor: 'system', action: 'seen' as const, data: { trigger: t.trigger } }] : [];
    await svc.commit(active, [...seen, ...sentEntries(commands)], { leader: true, before: (s) => saveCommands(s, active.id, commands, svc.now()) });
    acted.recorded = true;
    return active;
  }
  const reopenWithin = parseDuration(svc.deps.escalation.reopenWithin);
  const recent = await store.recentlyResolvedIncident(t.device.id, incident, now - reopenWithin);
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
      id: acted.caseId ?? randomUUID(), device: d.id, rule: t.rule.id, kind: d.kind, severity: t.rule.severity, state: 'open',
      title: t.rule.title ?? { zh: t.rule.id, en: t.rule.id },
      street: d.street, community: d.community, grid: d.grid, building: d.building, ...(d.unit === undefined ? {} : { unit: d.unit }),
      openedAt: now, updatedAt: now, escalationStep: -1, trigger: t.trigger,
    };
  }
  c.incident = incident;
  c.activeRules = holds ? withRule(c.activeRules, t.rule.id, true) : (c.activeRules ?? []);
  act(svc, c, t, acted);
  const silence = await isMuted(svc, c, now);
  const entries: Parameters<AlertCases['commit']>[1] = [{ actor: 'system', action: recent ? 'reopened' : 'opened', data: { trigger: t.trigger, rule: t.rule.id } }];
  if (silence) entries.push({ actor: 'system', action: 'silenced', data: { silence } });
  const commands = unrecorded(acted);
  entries.push(...sentEntries(commands));
  await svc.commit(c, entries, {
    leader: true, isNew: !recent,
    before: async (s) => {
      await saveCommands(s, c.id, commands, svc.now());
      if (!silence) await s.planEscalations(c.id, planEscalation(c, stepsFor(svc, c)));
    },
  });
  acted.recorded = true;
  await runEscalations(svc, now);
  return svc.deps.store.getCase(c.id);
}

/**
 * A rule of the incident clears: the case resolves when no rule of its incident holds any more;
 * otherwise (the critical level cleared, the warning level still holds; or a case resolved by
 * hand) the clearing is recorded on it.
 */
async function clearRule(svc: AlertCases, t: RuleTransition, c: AlertCase | undefined): Promise<AlertCase | undefined> {
  if (!c) return undefined;
  const before = c.activeRules ?? (c.state === 'open' || c.state === 'acknowledged' ? [c.rule] : []);
  if (!before.includes(t.rule.id)) return undefined;
  c.activeRules = withRule(before, t.rule.id, false);
  if ((c.state === 'open' || c.state === 'acknowledged') && c.activeRules.length === 0) {
    c.state = 'resolved';
    c.resolvedAt = svc.now();
    await svc.commit(c, [{ actor: 'system', action: 'resolved', note: 'condition cleared', data: { trigger: t.trigger, rule: t.rule.id } }], { leader: true, before: (s) => s.cancelEscalations(c.id) });
    return c;
  }
  await svc.commit(c, [{ actor: 'system', action: 'condition_cleared', data: { trigger: t.trigger, rule: t.rule.id, stillActive: c.activeRules } }], { leader: true });
  return c;
}

/**
 * A higher level of the same hazard (gas 10 % → 25 % LEL): the SAME case takes the new severity,
 * title and trigger, needs acknowledging again and escalates by the new severity's steps from now.
 */
async function raiseSeverity(svc: AlertCases, c: AlertCase, t: RuleTransition, now: number, acted: Acted): Promise<AlertCase | undefined> {
  const { store } = svc.deps;
  const from = c.severity;
  Object.assign(c, { severity: t.rule.severity, rule: t.rule.id, title: t.rule.title ?? { zh: t.rule.id, en: t.rule.id }, trigger: t.trigger, raisedAt: now, escalationStep: -1, state: 'open' });
  const wasAcked = c.acknowledgedBy;
  delete c.acknowledgedAt;
  delete c.acknowledgedBy;
  act(svc, c, t, acted);
  const silence = await isMuted(svc, c, now);
  const entries: Parameters<AlertCases['commit']>[1] = [{ actor: 'system', action: 'severity_raised', data: { from, to: t.rule.severity, rule: t.rule.id, trigger: t.trigger, ...(wasAcked ? { acknowledgedBefore: wasAcked } : {}) } }];
  if (silence) entries.push({ actor: 'system', action: 'silenced', data: { silence } });
  const commands = unrecorded(acted);
  entries.push(...sentEntries(commands));
  await svc.commit(c, entries, {
    leader: true,
    before: async (s) => {
      await saveCommands(s, c.id, commands, svc.now());
      await s.cancelEscalations(c.id);
      if (!silence) await s.planEscalations(c.id, planEscalation(c, stepsFor(svc, c)));
    },
  });
  acted.recorded = true;
  await runEscalations(svc, now);
  return store.getCase(c.id);
}

/** Fires every escalation step due at `now` (the caller holds the service's `exclusive`). */
export async function runEscalations(svc: AlertCases, now: number): Promise<void> {
  for (const due of await svc.deps.store.dueEscalations(now)) await svc.retrying(() => fireStep(svc, due, now));
}

/** One due step: re-reads its case, so a retry after another hub's change sees that change. */
async function fireStep(svc: AlertCases, due: DueEscalation, now: number): Promise<void> {
  const { store } = svc.deps;
  const c = await store.getCase(due.caseId);
  const step = c ? stepsFor(svc, c)[due.step] : undefined;
  const drop: CommitOptions = { leader: true, before: (s) => s.dropEscalation(due.caseId, due.step) };
  if (!c || !step || c.state !== 'open' || due.step <= c.escalationStep) {
    await store.tx((s) => s.dropEscalation(due.caseId, due.step), svc.fence);
    return;
  }
  c.escalationStep = due.step;
  const silence = await isMuted(svc, c, now);
  if (silence) {
    // silenced after the case opened: the step is recorded as muted, nobody is called
    await svc.commit(c, [{ actor: 'system', action: 'silenced', data: { silence, step: due.step, to: step.to } }], drop);
    return;
  }
  const r = route(step.to, c.grid, now, svc.deps.routing);
  if (!c.assignee && r.recipients[0]) c.assignee = r.recipients[0].id;
  const entries: Parameters<AlertCases['commit']>[1] = [];
  if (r.noOneOnDuty) entries.push({ actor: 'system', action: 'no_one_on_duty', note: `nobody at ${step.to} for grid ${c.grid}; sent to ${r.level}`, data: { asked: step.to, reached: r.level } });
  entries.push({ actor: 'system', action: 'escalated', note: `step ${due.step + 1}/${stepsFor(svc, c).length}: ${step.to}`, data: { step: due.step, to: step.to, level: r.level, recipients: r.recipients.map((p) => p.id), dueAt: due.at } });
  const saved = await svc.commit(c, entries, drop);
  const entry = saved[saved.length - 1];
  if (entry) {
    const reason = due.step > 0 ? 'escalated' : c.reopenedAt !== undefined ? 'reopened' : 'opened';
    svc.notify({ case: c, entry, recipients: r.recipients, step: due.step, reason, ...(r.noOneOnDuty ? { fallback: true } : {}) });
  }
}
