// #/alerts/<id>: one case with its buttons and the timeline from its ledger, kept live.
import { onAlerts } from '../alert-store.js';
import { caseAction, getCase } from '../api.js';
import { lang, t, tx } from '../i18n/index.js';
import { fmtTime } from '../logic/format.js';
import { errorText, type Page } from '../page.js';
import { buildingsOf, loadSites, type BuildingRef } from '../sites.js';
import type { AlertCase, LedgerEntry } from '../types.js';
import { h, note } from '../ui/dom.js';
import { caseCard } from './alerts.js';

export const renderAlertDetail: Page = (root, { param }) => {
  const id = param ?? '';
  const body = h('div', { class: 'detail' }, note(t('loading')));
  root.append(h('a', { href: '#/alerts', class: 'back' }, `← ${t('alerts.back')}`), body);
  let current: { case: AlertCase; ledger: LedgerEntry[] } | undefined;
  let buildings: BuildingRef[] = [];

  const draw = (): void => {
    if (!current) return;
    const c = current.case;
    const items = [...current.ledger].sort((a, b) => a.seq - b.seq).map((e) =>
      h('li', { 'data-action': e.action },
        h('time', {}, fmtTime(e.ts, lang())),
        h('strong', {}, tx('action', e.action)),
        h('span', { class: 'actor' }, e.actor),
        e.note ? h('q', {}, e.note) : null),
    );
    const text = h('input', { name: 'comment', placeholder: t('alerts.comment'), 'aria-label': t('alerts.comment') });
    const msg = h('div', { class: 'msg' });
    const form = h('form', { class: 'row comment' }, text, h('button', { class: 'btn', type: 'submit' }, t('alerts.addComment')), msg);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!text.value.trim()) return;
      caseAction(c.id, 'comment', text.value.trim())
        .then(() => void reload())
        .catch((err: unknown) => msg.replaceChildren(note(errorText(err, t), 'error')));
    });
    body.replaceChildren(caseCard(c, buildings.find((b) => b.id === c.building)), h('h2', {}, t('alerts.timeline')), h('ol', { class: 'timeline' }, items), form);
  };

  const reload = async (): Promise<void> => {
    try {
      current = await getCase(id);
      draw();
    } catch (err) {
      body.replaceChildren(note((err as { status?: number }).status === 404 ? t('alerts.notFound') : errorText(err, t), 'error'));
    }
  };

  void reload();
  loadSites()
    .then((s) => {
      buildings = buildingsOf(s);
      draw();
    })
    .catch(() => undefined);
  return onAlerts((_cases, change) => {
    if (!change) return void reload(); // a REST reply or a reload: fetch the ledger again
    if (!current || change.case.id !== id) return;
    if (!current.ledger.some((e) => e.seq === change.entry.seq)) current.ledger.push(change.entry);
    current.case = change.case;
    draw();
  });
};
