// #/alerts: the live list of cases, newest first, severity colours, ack / resolve / close-with-note.
import { alertCases, applyCase, onAlerts } from '../alert-store.js';
import { caseAction } from '../api.js';
import { lang, t, tx } from '../i18n/index.js';
import { actionsFor, validCloseNote, type ButtonAction } from '../logic/alerts.js';
import { fmtTime } from '../logic/format.js';
import { errorText, type Page } from '../page.js';
import { buildingsOf, loadSites, type BuildingRef } from '../sites.js';
import type { AlertCase } from '../types.js';
import { h, note } from '../ui/dom.js';

const BUTTON_LABEL = { ack: 'alerts.ack', resolve: 'alerts.resolve', close: 'alerts.close' } as const;

export const renderAlerts: Page = (root) => {
  const list = h('div', { class: 'cases', 'aria-live': 'polite' });
  root.append(h('h1', {}, t('alerts.title')), list);
  const cards = new Map<string, { updatedAt: number; el: HTMLElement }>();
  let buildings = new Map<string, BuildingRef>();

  const draw = (cases: readonly AlertCase[]): void => {
    if (cases.length === 0) {
      cards.clear();
      list.replaceChildren(note(t('alerts.empty')));
      return;
    }
    const els = cases.map((c) => {
      const known = cards.get(c.id);
      if (known && known.updatedAt === c.updatedAt) return known.el;
      const el = caseCard(c, buildings.get(c.building));
      cards.set(c.id, { updatedAt: c.updatedAt, el });
      return el;
    });
    list.replaceChildren(...els);
  };

  draw(alertCases());
  loadSites()
    .then((s) => {
      buildings = new Map(buildingsOf(s).map((b) => [b.id, b]));
      cards.clear();
      draw(alertCases());
    })
    .catch(() => undefined);
  return onAlerts((cases) => draw(cases));
};

export function caseCard(c: AlertCase, where: BuildingRef | undefined): HTMLElement {
  const msg = h('div', { class: 'msg' });
  const actions = h('div', { class: 'case-actions' });
  const run = (action: ButtonAction, noteText?: string): void => {
    for (const b of actions.querySelectorAll('button')) b.disabled = true;
    msg.replaceChildren();
    caseAction(c.id, action, noteText)
      .then(applyCase)
      .catch((err: unknown) => {
        msg.replaceChildren(note(errorText(err, t), 'error'));
        for (const b of actions.querySelectorAll('button')) b.disabled = false;
      });
  };
  const closeForm = (): HTMLElement => {
    const text = h('textarea', { name: 'note', rows: 2, placeholder: t('alerts.closeNote'), 'aria-label': t('alerts.closeNote') });
    const ok = h('button', { class: 'btn btn-danger', 'data-action': 'close-confirm' }, t('alerts.closeConfirm'));
    ok.addEventListener('click', () => {
      if (!validCloseNote(text.value)) return void msg.replaceChildren(note(t('alerts.noteRequired'), 'error'));
      run('close', text.value.trim());
    });
    const cancel = h('button', { class: 'btn', onclick: () => actions.replaceChildren(...buttons()) }, t('alerts.cancel'));
    queueMicrotask(() => text.focus());
    return h('div', { class: 'close-form' }, text, h('div', { class: 'row' }, ok, cancel));
  };
  const buttons = (): HTMLElement[] =>
    actionsFor(c.state).map((a) =>
      h('button', {
        class: `btn ${a === 'ack' ? 'btn-primary' : ''}`,
        'data-action': a,
        onclick: () => (a === 'close' ? actions.replaceChildren(closeForm()) : run(a)),
      }, t(BUTTON_LABEL[a])),
    );
  actions.replaceChildren(...buttons());
  const place = [where?.name ?? c.building, c.unit].filter(Boolean).join(' ');
  return h(
    'article',
    { class: `case sev-${c.severity} state-${c.state}`, 'data-case-id': c.id, 'data-state': c.state, 'data-severity': c.severity },
    h('div', { class: 'case-head' },
      h('span', { class: 'sev' }, tx('severity', c.severity)),
      h('span', { class: 'state' }, tx('state', c.state)),
      h('time', { datetime: new Date(c.openedAt).toISOString() }, fmtTime(c.openedAt, lang()))),
    h('a', { class: 'case-title', href: `#/alerts/${encodeURIComponent(c.id)}` }, c.title[lang()] || c.title.zh),
    h('div', { class: 'case-where' }, place, ' · ', c.device, c.assignee ? ` · ${t('alerts.assignee')}: ${c.assignee}` : ''),
    actions,
    msg,
  );
}
