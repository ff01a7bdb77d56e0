// #/uptime: the uptime audit per device and grid for a period, offline intervals, CSV download.
import { get, getText } from '../api.js';
import { lang, t, tx } from '../i18n/index.js';
import { fmtCell, toTable } from '../logic/format.js';
import { fmtDuration, fmtIntervals, fmtPct, uptimeView, type UptimeView } from '../logic/uptime.js';
import { errorText, type Page } from '../page.js';
import { buildingsOf, gridsOf, loadSites } from '../sites.js';
import { h, note } from '../ui/dom.js';

const DAY = 86_400_000;
const isoDay = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
/** local (UTC+8) midnight of a YYYY-MM-DD as ms */
const dayStart = (d: string): number => Date.parse(`${d}T00:00:00+08:00`);

export const renderUptime: Page = (root) => {
  const from = h('input', { name: 'from', type: 'date', value: isoDay(Date.now() - 7 * DAY) });
  const to = h('input', { name: 'to', type: 'date', value: isoDay(Date.now()) });
  const grid = h('select', { name: 'grid' }, h('option', { value: '' }, t('uptime.allGrids')));
  const out = h('div', { class: 'scroll' });
  const csv = h('button', { type: 'button', class: 'btn', 'data-action': 'csv' }, t('uptime.csv'));
  const form = h('form', { class: 'filters card' },
    h('label', {}, t('uptime.from'), from),
    h('label', {}, t('uptime.to'), to),
    h('label', {}, t('uptime.grid'), grid),
    h('div', { class: 'row' }, h('button', { class: 'btn btn-primary', type: 'submit' }, t('uptime.show')), csv));
  root.append(h('h1', {}, t('uptime.title')), form, out);

  // the period is whole local days, from 00:00 of `from` to 24:00 of `to`, but never past now
  // (the future would count as time offline)
  const query = (format: 'json' | 'csv'): Record<string, string | number> => ({
    from: dayStart(from.value), to: Math.min(dayStart(to.value) + DAY, Date.now()), grid: grid.value, format,
  });

  const show = async (): Promise<void> => {
    out.replaceChildren(note(t('loading')));
    try {
      const report = await get<unknown>('/reports/uptime', query('json'));
      const view = uptimeView(report);
      if (view) {
        const names = await loadSites().then((s) => new Map<string, string>([...gridsOf(s), ...buildingsOf(s)].map((x) => [x.id, x.name]))).catch(() => new Map<string, string>());
        return void out.replaceChildren(...auditTable(view, names));
      }
      // another report shape: show its rows as they are
      const table = toTable(report);
      if (table.rows.length === 0) return void out.replaceChildren(note(t('uptime.empty')));
      out.replaceChildren(h('table', { class: 'table uptime' },
        h('thead', {}, h('tr', {}, table.columns.map((c) => h('th', {}, c)))),
        h('tbody', {}, table.rows.map((r) => h('tr', {}, table.columns.map((c) => h('td', {}, fmtCell(r[c], lang()))))))));
    } catch (err) {
      out.replaceChildren(note(errorText(err, t), 'error'));
    }
  };

  csv.addEventListener('click', () => {
    getText('/reports/uptime', query('csv'))
      .then((text) => {
        const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv' })), download: `uptime-${from.value}-${to.value}.csv` });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      })
      .catch((err: unknown) => out.replaceChildren(note(errorText(err, t), 'error')));
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void show();
  });
  loadSites()
    .then((s) => grid.append(...gridsOf(s).map((g) => h('option', { value: g.id }, g.name))))
    .catch(() => undefined);
  void show();
};

function auditTable(view: UptimeView, names: Map<string, string>): HTMLElement[] {
  if (view.rows.length === 0) return [note(t('uptime.empty'))];
  const l = lang();
  const s = view.summary;
  const summary = s ? h('p', { class: 'limits' }, t('uptime.summary').replace('{n}', String(s.devices)).replace('{pct}', fmtPct(s.meanUptimePct)).replace('{o}', String(s.outages))) : null;
  const heads = (['uptime.grid', 'uptime.building', 'uptime.device', 'uptime.kind', 'uptime.pct', 'uptime.outages', 'uptime.unplanned', 'uptime.longest', 'uptime.intervals'] as const).map((k) => h('th', {}, t(k)));
  const rows = view.rows.map((r) => h('tr', { class: r.outages > 0 ? 'over' : undefined, 'data-device': r.device },
    h('td', {}, names.get(r.grid) ?? r.grid), h('td', {}, names.get(r.building) ?? r.building), h('td', {}, r.device), h('td', {}, tx('kind', r.kind)),
    h('td', {}, fmtPct(r.uptimePct)), h('td', {}, String(r.outages)), h('td', {}, fmtDuration(r.unplannedMs, l)),
    h('td', {}, fmtDuration(r.longestMs, l)), h('td', {}, fmtIntervals(r, l))));
  const table = h('table', { class: 'table uptime' }, h('thead', {}, h('tr', {}, heads)), h('tbody', {}, rows));
  return summary ? [summary, table] : [table];
}
