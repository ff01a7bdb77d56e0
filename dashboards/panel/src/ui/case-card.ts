// One alert case as a card: severity, state, where (community · grid · building unit), the reading
// that raised it, how long it has waited, the escalation step and when the next is due, who holds
// it, and the buttons its state allows. Resolving or closing while the condition still holds asks
// for an override reason (the hub refuses without one: GW_ERR_ALERT_STILL_ACTIVE).
import { applyCase } from '../alert-store.js';
import { ApiError, caseAction } from '../api.js';
import { lang, t, tf, tx } from '../i18n/index.js';
import { actionsFor, minutesBetween, validCloseNote, waitingSince, type ButtonAction } from '../logic/alerts.js';
import { fmtTime, fmtValues } from '../logic/format.js';
import { errorText } from '../page.js';
import { nameOf } from '../people.js';
import type { BuildingRef } from '../sites.js';
import type { AlertCase } from '../types.js';
import { h, note } from './dom.js';

const BUTTON_LABEL = { ack: 'alerts.ack', resolve: 'alerts.resolve', close: 'alerts.close' } as const;

/** the values of the reading that raised the case (trigger.values, or the trigger itself) */
export function triggerValues(c: AlertCase): Record<string, unknown> | undefined {
  const v = c.trigger.values;
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

export function placeOf(c: AlertCase, where: BuildingRef | undefined): string {
  return tf('alerts.where', { community: where?.community ?? c.community, grid: where?.grid.name ?? c.grid, building: where?.name ?? c.building, unit: c.unit ?? '' }).trim();
}

/** "已8分钟未确认" / "陈静 已确认（3分钟前）" */
function waitingLine(c: AlertCase, now: number): string {
  if (c.state === 'open') {
    const m = minutesBetween(waitingSince(c), now);
    return m === 0 ? t('alerts.waitingSec') : tf('alerts.waiting', { m });
  }
  if (c.state === 'acknowledged' && c.acknowledgedAt !== undefined) return tf('alerts.ackedBy', { name: nameOf(c.acknowledgedBy), m: minutesBetween(c.acknowledgedAt, now) });
  return '';
}

/** "升级第1/3步：网格员 · 2分钟后升级至网格长" */
function escalationLine(c: AlertCase, now: number): string {
  if (c.state !== 'open') return '';
  const parts: string[] = [];
  const n = c.escalationSteps;
  const reached = c.escalationStep >= 0 && n !== undefined ? tf('alerts.step', { i: c.escalationStep + 1, n }) : t('alerts.stepNone');
  parts.push(reached);
  const next = c.nextEscalation;
  if (next) {
    const m = Math.ceil((next.at - now) / 60_000);
    parts.push(m <= 0 ? tf('alerts.nextDueNow', { to: tx('to', next.to) }) : tf('alerts.nextDue', { m, to: tx('to', next.to) }));
  }
  return parts.join(' · ');
}

export function caseCard(c: AlertCase, where: BuildingRef | undefined, now = Date.now()): HTMLElement {
  const msg = h('div', { class: 'msg' });
  const actions = h('div', { class: 'case-actions' });
  const holding = c.activeRules ?? [];
  const run = (action: ButtonAction, body: { note?: string; override?: string } = {}): void => {
    for (const b of actions.querySelectorAll('button')) b.disabled = true;
    msg.replaceChildren();
    caseAction(c.id, action, body)
      .then(applyCase)
      .catch((err: unknown) => {
        for (const b of actions.querySelectorAll('button')) b.disabled = false;
        // the hub knows better: the condition holds after all
        if (err instanceof ApiError && err.code === 'GW_ERR_ALERT_STILL_ACTIVE' && action !== 'ack') {
          const rules = (err.details as { activeRules?: string[] } | undefined)?.activeRules ?? [];
          return void actions.replaceChildren(form(action, rules));
        }
        msg.replaceChildren(note(errorText(err, t), 'error'));
      });
  };
  /** the form for resolve-with-override or close (a note, and an override reason while the condition holds) */
  const form = (action: 'resolve' | 'close', rules: readonly string[]): HTMLElement => {
    const parts: HTMLElement[] = [];
    const noteBox = action === 'close' ? h('textarea', { name: 'note', rows: 2, placeholder: t('alerts.closeNote'), 'aria-label': t('alerts.closeNote') }) : undefined;
    const reasonBox = rules.length ? h('textarea', { name: 'override', rows: 2, placeholder: t('alerts.overrideReason'), 'aria-label': t('alerts.overrideReason') }) : undefined;
    if (reasonBox) parts.push(h('p', { class: 'still-active', role: 'alert', 'data-still-active': rules.join(',') }, tf('alerts.stillActive', { rules: `${c.title[lang()] || c.title.zh} (${fmtValues(triggerValues(c), lang())})` })));
    if (noteBox) parts.push(noteBox);
    if (reasonBox) parts.push(reasonBox);
    const label = action === 'close' ? (reasonBox ? 'alerts.overrideCloseConfirm' : 'alerts.closeConfirm') : 'alerts.overrideConfirm';
    const ok = h('button', { class: 'btn btn-danger', 'data-action': `${action}-confirm` }, t(label));
    ok.addEventListener('click', () => {
      if (noteBox && !validCloseNote(noteBox.value)) return void msg.replaceChildren(note(t('alerts.noteRequired'), 'error'));
      if (reasonBox && !reasonBox.value.trim()) return void msg.replaceChildren(note(t('alerts.overrideRequired'), 'error'));
      run(action, { ...(noteBox ? { note: noteBox.value.trim() } : {}), ...(reasonBox ? { override: reasonBox.value.trim() } : {}) });
    });
    const cancel = h('button', { class: 'btn', onclick: () => actions.replaceChildren(...buttons()) }, t('alerts.cancel'));
    queueMicrotask(() => (noteBox ?? reasonBox)?.focus());
    return h('div', { class: 'close-form' }, ...parts, h('div', { class: 'row' }, ok, cancel));
  };
  const buttons = (): HTMLElement[] =>
    actionsFor(c.state).map((a) =>
      h('button', {
        class: `btn ${a === 'ack' ? 'btn-primary' : ''}`,
        'data-action': a,
        onclick: () => {
          if (a === 'close') actions.replaceChildren(form('close', holding));
          else if (a === 'resolve' && holding.length) actions.replaceChildren(form('resolve', holding));
          else run(a);
        },
      }, t(BUTTON_LABEL[a])),
    );
  actions.replaceChildren(...buttons());
  const values = triggerValues(c);
  const wait = waitingLine(c, now);
  const esc = escalationLine(c, now);
  return h(
    'article',
    { class: `case sev-${c.severity} state-${c.state}`, 'data-case-id': c.id, 'data-updated': c.updatedAt, 'data-state': c.state, 'data-severity': c.severity, 'data-active': holding.length ? 'yes' : 'no' },
    h('div', { class: 'case-head' },
      h('span', { class: 'sev' }, tx('severity', c.severity)),
      h('span', { class: 'state' }, tx('state', c.state)),
      h('time', { datetime: new Date(c.openedAt).toISOString() }, fmtTime(c.openedAt, lang()))),
    h('a', { class: 'case-title', href: `#/alerts/${encodeURIComponent(c.id)}` }, c.title[lang()] || c.title.zh),
    values ? h('div', { class: 'case-trigger' }, `${t('alerts.trigger')}: `, h('strong', { 'data-trigger': '' }, fmtValues(values, lang()))) : null,
    h('div', { class: 'case-where', 'data-where': '' }, placeOf(c, where), ' · ', c.device),
    wait ? h('div', { class: `case-wait ${c.state === 'open' ? 'wait-open' : ''}`, 'data-wait': '' }, wait) : null,
    esc ? h('div', { class: 'case-esc', 'data-escalation': '' }, esc) : null,
    c.assignee ? h('div', { class: 'case-assignee' }, `${t('alerts.assignee')}: `, h('span', { 'data-assignee': c.assignee }, nameOf(c.assignee))) : null,
    actions,
    msg,
  );
}
