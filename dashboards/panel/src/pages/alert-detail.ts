// #/alerts/<id>: one case with the facts a worker needs at the door: the reading that raised it,
// the live current value with a small trend, the valve, a per-kind checklist on critical cases,
// and the timeline in words (names, not ids), kept live.
import { onAlerts } from '../alert-store.js';
import { caseAction, get, getCase } from '../api.js';
import { lang, t, tf } from '../i18n/index.js';
import { fmtTime, fmtValues } from '../logic/format.js';
import { CHECKLIST, commandsOf, describeEntry, valveState } from '../logic/timeline.js';
import { errorText, type Page } from '../page.js';
import { loadPeople, nameOf } from '../people.js';
import { buildingsOf, loadSites, type BuildingRef } from '../sites.js';
import type { AlertCase, DeviceView, LedgerEntry, LiveReading, ReadingRow } from '../types.js';
import { caseCard, triggerValues } from '../ui/case-card.js';
import { h, note } from '../ui/dom.js';
import { trendChart, type Trend } from '../ui/trend.js';
import { reassignForm } from '../ui/reassign.js';

const PRIMARY: Record<string, string> = { gas: 'lel', smoke: 'obscuration', noise: 'laeq', water: 'level_mm' };

/** the numeric field the trend follows: the kind's main one, else the trigger's first number */
function trendField(c: AlertCase): string | undefined {
  const vals = triggerValues(c) ?? {};
  const main = PRIMARY[c.kind];
  if (main && typeof vals[main] === 'number') return main;
  return Object.keys(vals).find((k) => typeof vals[k] === 'number' && k !== 'battery' && k !== 'rssi');
}

export const renderAlertDetail: Page = (root, { param, socket, session }) => {
  const id = param ?? '';
  const body = h('div', { class: 'detail' }, note(t('loading')));
  const facts = h('section', { class: 'card facts' });
  root.append(h('a', { href: '#/alerts', class: 'back' }, `← ${t('alerts.back')}`), body);
  let current: { case: AlertCase; ledger: LedgerEntry[] } | undefined;
  let buildings: BuildingRef[] = [];
  let latest: { ts: number; values: Record<string, unknown> } | null = null;
  let trend: Trend | undefined;
  let trendFor: string | undefined;
  const currentEl = h('div', { class: 'current', 'data-current': '' }, t('detail.noCurrent'));
  const trendEl = h('div', { class: 'trend' });

  const showCurrent = (): void => {
    currentEl.replaceChildren(...(latest ? [h('strong', {}, fmtValues(latest.values, lang())), h('span', { class: 'muted' }, ` · ${tf('detail.currentAt', { time: fmtTime(latest.ts, lang()) })}`)] : [t('detail.noCurrent')]));
  };

  const startTrend = (c: AlertCase): void => {
    const field = trendField(c);
    if (!field || trendFor === c.id) return;
    trendFor = c.id;
    const to = Date.now();
    get<ReadingRow[]>('/readings', { device: c.device, kind: c.kind, from: to - 3_600_000, to: to + 60_000, every: '1m' })
      .then((rows) => {
        const pts = rows.flatMap((r) => (typeof r[field] === 'number' ? [[Number(r.time), r[field] as number] as [number, number]] : []));
        const trig = triggerValues(c)?.[field];
        if (pts.length === 0 && typeof trig === 'number') pts.push([Number(c.trigger.ts ?? c.openedAt), trig]);
        trend?.destroy();
        trend = trendChart(trendEl, field, pts, lang());
      })
      .catch(() => undefined);
  };

  const draw = (): void => {
    if (!current) return;
    const c = current.case;
    const ledger = [...current.ledger].sort((a, b) => a.seq - b.seq);
    const cmds = commandsOf(ledger);
    const items = ledger.map((e) => {
      const line = describeEntry(e, lang(), nameOf, cmds);
      return h('li', { 'data-action': e.action },
        h('time', {}, fmtTime(e.ts, lang())),
        h('strong', {}, line.what),
        h('span', { class: 'actor' }, line.who),
        line.detail ? h('span', { class: 'detail-text' }, line.detail) : null,
        // the system's own notes are for the log ("step 1/3: grid_worker"); the line above says it in words
        e.note && e.actor !== 'system' && !line.detail.includes(e.note) ? h('q', {}, e.note) : null);
    });
    const valve = valveState(ledger);
    const checklist = c.severity === 'critical' && c.state !== 'closed' ? CHECKLIST[c.kind]?.[lang()] : undefined;
    const vals = triggerValues(c);
    facts.replaceChildren(...([
      h('h2', {}, t('detail.facts')),
      vals ? h('div', { class: 'fact' }, h('span', { class: 'muted' }, tf('detail.triggerAt', { time: fmtTime(Number(c.trigger.ts ?? c.openedAt), lang()) })), ' ', h('strong', { 'data-trigger-detail': '' }, fmtValues(vals, lang()))) : null,
      h('div', { class: 'fact' }, h('span', { class: 'muted' }, `${t('detail.current')} `), currentEl),
      trendEl,
      c.kind === 'gas' ? h('div', { class: `fact valve valve-${valve}`, 'data-valve': valve }, h('span', { class: 'muted' }, `${t('detail.valve')} `), h('strong', {}, t(`valve.${valve}`))) : null,
      checklist ? h('div', { class: 'checklist', 'data-checklist': c.kind }, h('h3', {}, t('detail.checklist')), h('ol', {}, checklist.map((s) => h('li', {}, h('label', {}, h('input', { type: 'checkbox' }), ' ', s))))) : null,
    ] as (HTMLElement | null)[]).filter((x): x is HTMLElement => x !== null));
    const text = h('input', { name: 'comment', placeholder: t('alerts.comment'), 'aria-label': t('alerts.comment') });
    const msg = h('div', { class: 'msg' });
    const form = h('form', { class: 'row comment' }, text, h('button', { class: 'btn', type: 'submit' }, t('alerts.addComment')), msg);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!text.value.trim()) return;
      caseAction(c.id, 'comment', { note: text.value.trim() })
        .then(() => void reload())
        .catch((err: unknown) => msg.replaceChildren(note(errorText(err, t), 'error')));
    });
    const canReassign = c.state !== 'closed' && session.user.role !== 'grid_worker';
    body.replaceChildren(...[
      caseCard(c, buildings.find((b) => b.id === c.building)),
      facts,
      canReassign ? reassignForm(c, () => void reload()) : null,
      h('h2', {}, t('alerts.timeline')), h('ol', { class: 'timeline' }, items), form,
    ].filter((x): x is HTMLElement => x !== null));
    showCurrent();
    startTrend(c);
  };

  const reload = async (): Promise<void> => {
    try {
      current = await getCase(id);
      if (latest === null) {
        const d = await get<DeviceView>(`/devices/${encodeURIComponent(current.case.device)}`).catch(() => undefined);
        latest = d?.last ?? null;
      }
      draw();
    } catch (err) {
      body.replaceChildren(note((err as { status?: number }).status === 404 ? t('alerts.notFound') : errorText(err, t), 'error'));
    }
  };

  void reload();
  Promise.all([loadSites(), loadPeople().catch(() => [])])
    .then(([s]) => {
      buildings = buildingsOf(s);
      draw();
    })
    .catch(() => undefined);
  const onReading = (r: LiveReading): void => {
    if (!current || r.device !== current.case.device) return;
    if (latest && latest.ts > r.ts) return;
    latest = { ts: r.ts, values: r.values };
    showCurrent();
    const field = trendField(current.case);
    const v = field ? r.values[field] : undefined;
    if (typeof v === 'number') trend?.push(r.ts, v);
  };
  socket.on('reading', onReading);
  const off = onAlerts((_cases, change) => {
    if (!change) return void reload(); // a REST reply or a re-sync: fetch the ledger again
    if (!current || change.case.id !== id) return;
    if (!current.ledger.some((e) => e.seq === change.entry.seq)) current.ledger.push(change.entry);
    current.case = change.case;
    draw();
  });
  return () => {
    off();
    socket.off('reading', onReading);
    trend?.destroy();
  };
};
