// #/sensors: the buildings of my grids, each device's live value and status, kept live by the
// `device` and `reading` events.
import { get } from '../api.js';
import { lang, t, tx } from '../i18n/index.js';
import { fmtTime, fmtValues } from '../logic/format.js';
import { errorText, type Page } from '../page.js';
import { buildingsOf, loadSites, type BuildingRef } from '../sites.js';
import type { DeviceView, LiveReading } from '../types.js';
import { h, note } from '../ui/dom.js';

export const renderSensors: Page = (root, { socket }) => {
  const body = h('div', { class: 'buildings' }, note(t('loading')));
  root.append(h('h1', {}, t('sensors.title')), body);
  const devices = new Map<string, DeviceView>();
  let buildings: BuildingRef[] = [];

  const row = (d: DeviceView): HTMLElement =>
    h('li', { class: `device status-${d.status}`, 'data-device': d.id, 'data-status': d.status },
      h('div', { class: 'device-main' },
        h('span', { class: 'kind' }, tx('kind', d.kind)),
        h('span', { class: 'unit' }, d.unit ?? d.id),
        h('span', { class: 'badge' }, tx('status', d.status))),
      h('div', { class: 'device-value' }, fmtValues(d.last?.values, lang())),
      h('div', { class: 'device-meta' },
        `${d.id} · `,
        d.battery === null ? '' : `${t('sensors.battery')} ${Math.round(d.battery)}% · `,
        d.lastSeen === null ? t('sensors.never') : `${t('sensors.lastSeen')} ${fmtTime(d.lastSeen, lang())}`));

  const draw = (): void => {
    if (devices.size === 0) return void body.replaceChildren(note(t('sensors.empty')));
    const known = new Set(buildings.map((b) => b.id));
    const groups = [...buildings, ...[...devices.values()].filter((d) => !known.has(d.building)).map((d) => ({ id: d.building, name: d.building }))];
    const seen = new Set<string>();
    const sections = groups.flatMap((b) => {
      if (seen.has(b.id)) return [];
      seen.add(b.id);
      const list = [...devices.values()].filter((d) => d.building === b.id).sort((a, c) => (a.unit ?? a.id).localeCompare(c.unit ?? c.id));
      if (list.length === 0) return [];
      const bad = list.filter((d) => d.status !== 'ok').length;
      return [h('section', { class: 'building card', 'data-building': b.id },
        h('h2', {}, b.name, bad ? h('span', { class: 'count' }, String(bad)) : null),
        h('ul', { class: 'devices' }, list.map(row)))];
    });
    body.replaceChildren(...sections);
  };

  Promise.all([get<DeviceView[]>('/devices'), loadSites().catch(() => [])])
    .then(([list, sites]) => {
      for (const d of list) devices.set(d.id, d);
      buildings = buildingsOf(sites);
      draw();
    })
    .catch((err: unknown) => body.replaceChildren(note(errorText(err, t), 'error')));

  const onDevice = (d: DeviceView): void => {
    devices.set(d.id, d);
    draw();
  };
  const onReading = (r: LiveReading): void => {
    const d = devices.get(r.device);
    if (!d || (d.last && d.last.ts > r.ts)) return;
    const battery = r.battery ?? (typeof r.values.battery === 'number' ? r.values.battery : d.battery);
    devices.set(d.id, { ...d, last: { ts: r.ts, values: r.values }, lastSeen: Math.max(d.lastSeen ?? 0, r.ts), battery });
    draw();
  };
  socket.on('device', onDevice);
  socket.on('reading', onReading);
  return () => {
    socket.off('device', onDevice);
    socket.off('reading', onReading);
  };
};
