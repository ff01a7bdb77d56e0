// #/alerts: the live list of cases in triage order (open unacknowledged criticals first). Says
// "no alerts" only when it knows: with the link down or the list not loaded it says it cannot tell.
import { alertCases, currentTrust, onAlerts, onTrust } from '../alert-store.js';
import { t } from '../i18n/index.js';
import type { Page } from '../page.js';
import { loadPeople } from '../people.js';
import { buildingsOf, loadSites, type BuildingRef } from '../sites.js';
import type { AlertCase } from '../types.js';
import { caseCard } from '../ui/case-card.js';
import { h } from '../ui/dom.js';

export const renderAlerts: Page = (root) => {
  const list = h('div', { class: 'cases', 'aria-live': 'polite' });
  root.append(h('div', { class: 'row page-head' }, h('h1', {}, t('alerts.title')), h('a', { class: 'btn', href: '#/history' }, t('alerts.history'))), list);
  let buildings = new Map<string, BuildingRef>();

  const draw = (cases: readonly AlertCase[] = alertCases()): void => {
    const tr = currentTrust();
    if (cases.length === 0) {
      // never calm when it cannot know
      const known = tr.connected && tr.synced;
      list.replaceChildren(known ? h('p', { class: 'note', 'data-empty': 'known' }, t('alerts.emptyKnown')) : h('p', { class: 'note note-error', role: 'alert', 'data-empty': 'unknown' }, tr.connected && !tr.failed ? t('conn.syncing') : t('alerts.unknown')));
      return;
    }
    const now = Date.now();
    // a card whose form is being filled in is kept as it is while its case has not changed
    const editing = new Map<string, HTMLElement>();
    for (const el of list.querySelectorAll<HTMLElement>('.case')) if (el.querySelector('textarea')) editing.set(`${el.dataset.caseId}@${el.dataset.updated}`, el);
    list.replaceChildren(...cases.map((c) => editing.get(`${c.id}@${c.updatedAt}`) ?? caseCard(c, buildings.get(c.building), now)));
  };

  draw();
  Promise.all([loadSites(), loadPeople().catch(() => [])])
    .then(([s]) => {
      buildings = new Map(buildingsOf(s).map((b) => [b.id, b]));
      draw();
    })
    .catch(() => undefined);
  // waiting times and escalation countdowns move on by themselves
  const timer = setInterval(() => draw(), 30_000);
  const offCases = onAlerts((cases) => draw(cases));
  const offTrust = onTrust(() => draw());
  return () => {
    clearInterval(timer);
    offCases();
    offTrust();
  };
};

export { caseCard } from '../ui/case-card.js';
