// #/history: the case ledger (建档销账): closed and open cases filtered by date, community, grid,
// kind, severity, state and free text (GET /ledger), with time to acknowledge and to close, and
// the same selection exported as CSV or Excel (.xlsx, written by the hub with exceljs).
import { get, getBlob } from '../api.js';
import { lang, t, tf, tx } from '../i18n/index.js';
import { fmtTime } from '../logic/format.js';
import { errorText, type Page } from '../page.js';
import { loadSites } from '../sites.js';
import type { SiteStreet } from '../types.js';
import { h, note } from '../ui/dom.js';

interface LedgerRow {
  id: string; openedAt: number; title: string; kind: string; severity: string; state: string; community: string; grid: string;
  building: string; unit: string; device: string; assignee: string; acknowledgedBy: string; minutesToAck: number | null;
  closedAt: number | null; minutesToClose: number | null; closeNote: string; overrides: string;
}

const DAY = 86_400_000;
const isoDay = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
const dayStart = (d: string): number => Date.parse(`${d}T00:00:00+08:00`);
const mean = (xs: (number | null)[]): string => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? (v.reduce((a, b) => a + b, 0) / v.length).toFixed(1) : '—';
};

export const renderHistory: Page = (root) => {
  const opt = (value: string, label: string): HTMLOptionElement => h('option', { value }, label);
  const from = h('input', { name: 'from', type: 'date', value: isoDay(Date.now() - 30 * DAY) });
  const to = h('input', { name: 'to', type: 'date', value: isoDay(Date.now()) });
  const community = h('select', { name: 'community' }, opt('', t('history.allCommunities')));
  const grid = h('select', { name: 'grid' }, opt('', t('history.allGrids')));
  const kind = h('select', { name: 'kind' }, opt('', t('history.allKinds')), ...['gas', 'smoke', 'water', 'noise'].map((k) => opt(k, tx('kind', k))));
  const severity = h('select', { name: 'severity' }, opt('', t('history.allSeverities')), ...['critical', 'warning', 'info'].map((s) => opt(s, tx('severity', s))));
  const state = h('select', { name: 'state' }, opt('', t('history.allStates')), ...['closed', 'resolved', 'acknowledged', 'open'].map((s) => opt(s, tx('state', s))));
  const q = h('input', { name: 'q', type: 'search', placeholder: t('history.qPlaceholder') });
  const out = h('div', { class: 'history-out' });
  const csv = h('button', { type: 'button', class: 'btn', 'data-action': 'export-csv' }, t('history.csv'));
  const xlsx = h('button', { type: 'button', class: 'btn', 'data-action': 'export-xlsx' }, t('history.xlsx'));
  const form = h('form', { class: 'filters filters-wide card' },
    h('label', {}, t('history.from'), from), h('label', {}, t('history.to'), to),
    h('label', {}, t('history.community'), community), h('label', {}, t('history.grid'), grid),
    h('label', {}, t('history.kind'), kind), h('label', {}, t('history.severity'), severity),
    h('label', {}, t('history.state'), state), h('label', {}, t('history.q'), q),
    h('div', { class: 'row' }, h('button', { class: 'btn btn-primary', type: 'submit' }, t('history.show')), csv, xlsx));
  root.append(h('h1', {}, t('history.title')), form, out);
  let sites: SiteStreet[] = [];

  const fillGrids = (): void => {
    const keep = grid.value;
    const grids = sites.flatMap((s) => s.communities).filter((c) => !community.value || c.id === community.value).flatMap((c) => c.grids.map((g) => ({ g, c })));
    grid.replaceChildren(opt('', t('history.allGrids')), ...grids.map(({ g, c }) => opt(g.id, `${c.name} ${g.name}`)));
    if (grids.some(({ g }) => g.id === keep)) grid.value = keep;
  };
  community.addEventListener('change', fillGrids);

  const query = (format: 'json' | 'csv' | 'xlsx'): Record<string, string | number> => ({
    from: dayStart(from.value), to: dayStart(to.value) + DAY, community: community.value, grid: grid.value, kind: kind.value,
    severity: severity.value, state: state.value, q: q.value.trim(), lang: lang(), format,
  });

  const show = async (): Promise<void> => {
    out.replaceChildren(note(t('loading')));
    try {
      const rows = await get<LedgerRow[]>('/ledger', query('json'));
      if (rows.length === 0) return void out.replaceChildren(note(t('history.empty')));
      const minutes = (m: number | null): string => (m === null ? '' : tf('history.min', { m }));
      const heads = (['history.opened', 'history.case', 'history.where', 'history.ack', 'history.closed', 'history.note'] as const).map((k) => h('th', {}, t(k)));
      const body = rows.map((r) => h('tr', { 'data-case-id': r.id, 'data-state': r.state },
        h('td', {}, fmtTime(r.openedAt, lang())),
        h('td', {}, h('a', { href: `#/alerts/${encodeURIComponent(r.id)}` }, r.title), h('div', { class: 'muted' }, `${r.severity} · ${r.state}`)),
        h('td', {}, `${r.community} · ${r.grid} · ${r.building} ${r.unit}`, h('div', { class: 'muted' }, r.device)),
        h('td', {}, r.acknowledgedBy, h('div', { class: 'muted' }, minutes(r.minutesToAck))),
        h('td', {}, r.closedAt === null ? '' : fmtTime(r.closedAt, lang()), h('div', { class: 'muted' }, minutes(r.minutesToClose))),
        h('td', { class: 'wrap' }, r.closeNote, r.overrides ? h('div', { class: 'muted' }, r.overrides) : null)));
      out.replaceChildren(
        h('p', { class: 'limits', 'data-count': rows.length }, tf('history.count', { n: rows.length, ack: mean(rows.map((r) => r.minutesToAck)), close: mean(rows.map((r) => r.minutesToClose)) })),
        h('div', { class: 'scroll' }, h('table', { class: 'table ledger' }, h('thead', {}, h('tr', {}, heads)), h('tbody', {}, body))));
    } catch (err) {
      out.replaceChildren(note(errorText(err, t), 'error'));
    }
  };

  const download = (format: 'csv' | 'xlsx'): void => {
    getBlob('/ledger', query(format))
      .then((blob) => {
        const a = h('a', { href: URL.createObjectURL(blob), download: `gridwatch-ledger-${from.value}-${to.value}.${format}` });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      })
      .catch((err: unknown) => out.replaceChildren(note(errorText(err, t), 'error')));
  };
  csv.addEventListener('click', () => download('csv'));
  xlsx.addEventListener('click', () => download('xlsx'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void show();
  });
  loadSites()
    .then((s) => {
      sites = s;
      community.append(...s.flatMap((st) => st.communities).map((c) => opt(c.id, c.name)));
      fillGrids();
    })
    .catch(() => undefined);
  void show();
};
