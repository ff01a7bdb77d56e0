// #/sensors: the devices of my grids grouped by community and grid, each with its building and
// unit, live value, battery and "x分钟前"; filters (in alarm, offline, low battery) and sort
// orders; kept live by the `devices` and `reading` events.
import { get } from '../api.js';
import { lang, t, tf, tx } from '../i18n/index.js';
import { fmtValues } from '../logic/format.js';
import { ago, groupByGrid, matchesFilter, sortDevices, type SensorFilter, type SensorSort } from '../logic/sensors.js';
import { errorText, type Page } from '../page.js';
import { buildingsOf, loadSites, type BuildingRef } from '../sites.js';
import type { DeviceView, LiveReading } from '../types.js';
import { h, note } from '../ui/dom.js';

const FILTERS: { id: SensorFilter; label: 'sensors.filterAll' | 'sensors.filterAlarm' | 'sensors.filterOffline' | 'sensors.filterBattery' }[] = [
  { id: 'all', label: 'sensors.filterAll' }, { id: 'alarm', label: 'sensors.filterAlarm' }, { id: 'offline', label: 'sensors.filterOffline' }, { id: 'low_battery', label: 'sensors.filterBattery' },
];

function agoText(ts: number | null, now: number): string {
  if (ts === null) return t('sensors.never');
  const a = ago(ts, now);
  const text = a.unit === 'now' ? t('sensors.justNow') : a.unit === 'm' ? tf('sensors.ago', { m: a.n }) : a.unit === 'h' ? tf('sensors.agoH', { h: a.n }) : tf('sensors.agoD', { d: a.n });
  return `${t('sensors.lastSeen')} ${text}`;
}

export const renderSensors: Page = (root, { socket }) => {
  const body = h('div', { class: 'buildings' }, note(t('loading')));
  let filter: SensorFilter = 'all';
  let sort: SensorSort = 'status';
  const chips = h('div', { class: 'chips', role: 'group' });
  const sortSel = h('select', { name: 'sort', 'aria-label': t('sensors.sort') },
    h('option', { value: 'status' }, t('sensors.sortStatus')), h('option', { value: 'place' }, t('sensors.sortPlace')), h('option', { value: 'seen' }, t('sensors.sortSeen')));
  sortSel.addEventListener('change', () => {
    sort = sortSel.value as SensorSort;
    draw();
  });
  root.append(h('h1', {}, t('sensors.title')), h('div', { class: 'row sensor-tools' }, chips, sortSel), body);
  const devices = new Map<string, DeviceView>();
  let buildings = new Map<string, BuildingRef>();

  const row = (d: DeviceView, now: number): HTMLElement => {
    const b = buildings.get(d.building);
    return h('li', { class: `device status-${d.status}`, 'data-device': d.id, 'data-status': d.status },
      h('div', { class: 'device-main' },
        h('span', { class: 'kind' }, tx('kind', d.kind)),
        h('span', { class: 'unit' }, `${b?.name ?? d.building} ${d.unit ?? ''}`),
        h('span', { class: 'badge' }, tx('status', d.status))),
      h('div', { class: 'device-value' }, fmtValues(d.last?.values, lang())),
      h('div', { class: 'device-meta' },
        `${d.id} · `,
        d.battery === null ? '' : `${t('sensors.battery')} ${Math.round(d.battery)}% · `,
        h('span', { 'data-seen': '' }, agoText(d.lastSeen, now))));
  };

  const draw = (): void => {
    const all = [...devices.values()];
    chips.replaceChildren(...FILTERS.map((f) => {
      const n = all.filter((d) => matchesFilter(d, f.id)).length;
      return h('button', { type: 'button', class: `chip ${filter === f.id ? 'chip-on' : ''}`, 'data-filter': f.id, 'aria-pressed': filter === f.id ? 'true' : 'false', onclick: () => { filter = f.id; draw(); } }, `${t(f.label)} ${n}`);
    }));
    if (devices.size === 0) return void body.replaceChildren(note(t('sensors.empty')));
    const shown = sortDevices(all.filter((d) => matchesFilter(d, filter)), sort);
    if (shown.length === 0) return void body.replaceChildren(note(t('sensors.none')));
    const now = Date.now();
    body.replaceChildren(...groupByGrid(shown).map((g) => {
      const ref = [...buildings.values()].find((b) => b.grid.id === g.grid);
      const bad = g.devices.filter((d) => d.status !== 'ok').length;
      return h('section', { class: 'building card', 'data-grid': g.grid },
        h('h2', {}, `${ref?.community ?? g.community} · ${ref?.grid.name ?? g.grid}`, bad ? h('span', { class: 'count' }, String(bad)) : null),
        h('ul', { class: 'devices' }, g.devices.map((d) => row(d, now))));
    }));
  };

  Promise.all([get<DeviceView[]>('/devices'), loadSites().catch(() => [])])
    .then(([list, sites]) => {
      for (const d of list) devices.set(d.id, d);
      buildings = new Map(buildingsOf(sites).map((b) => [b.id, b]));
      draw();
    })
    .catch((err: unknown) => body.replaceChildren(note(errorText(err, t), 'error')));

  const onDevices = (list: DeviceView[]): void => {
    for (const d of list) devices.set(d.id, d);
    draw(); // once per event: a reconnect storm's thousands of changes are not thousands of redraws
  };
  const onReading = (r: LiveReading): void => {
    const d = devices.get(r.device);
    if (!d || (d.last && d.last.ts > r.ts)) return;
    const battery = r.battery ?? (typeof r.values.battery === 'number' ? r.values.battery : d.battery);
    devices.set(d.id, { ...d, last: { ts: r.ts, values: r.values }, lastSeen: Math.max(d.lastSeen ?? 0, r.ts), battery });
    draw();
  };
  // "x分钟前" moves on by itself
  const timer = setInterval(draw, 30_000);
  socket.on('devices', onDevices);
  socket.on('reading', onReading);
  return () => {
    clearInterval(timer);
    socket.off('devices', onDevices);
    socket.off('reading', onReading);
  };
};
