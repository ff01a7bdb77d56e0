// #/noise: per building, hourly LAeq and Lmax for a chosen night against its zone's night limit.
// Opens on a building that has a noise sensor.
import { get } from '../api.js';
import { lang, t } from '../i18n/index.js';
import { fmtTime } from '../logic/format.js';
import { hourlySlots, lastNight, nightLimit, nightWindow, NOISE_IMPULSE_DB } from '../logic/noise.js';
import { errorText, type Page } from '../page.js';
import { buildingsOf, loadSites, type BuildingRef } from '../sites.js';
import type { DeviceView, ReadingRow } from '../types.js';
import { noiseChart } from '../ui/chart.js';
import { h, note } from '../ui/dom.js';

export const renderNoise: Page = (root) => {
  const building = h('select', { name: 'building' });
  const night = h('input', { name: 'night', type: 'date', value: lastNight(Date.now()) });
  const out = h('div', { class: 'noise-out' });
  const form = h('form', { class: 'filters card' },
    h('label', {}, t('noise.building'), building),
    h('label', {}, t('noise.night'), night),
    h('button', { class: 'btn btn-primary', type: 'submit' }, t('noise.show')));
  root.append(h('h1', {}, t('noise.title')), form, out);
  let refs: BuildingRef[] = [];
  let destroyChart: (() => void) | undefined;

  let asked = 0; // only the latest request may draw
  const show = async (): Promise<void> => {
    const mine = ++asked;
    destroyChart?.();
    destroyChart = undefined;
    const b = refs.find((r) => r.id === building.value);
    if (!b || !night.value) return;
    out.replaceChildren(note(t('loading')));
    const { from, to } = nightWindow(night.value);
    const limit = nightLimit(b.grid.noiseZone);
    try {
      const rows = await get<ReadingRow[]>('/readings', { building: b.id, kind: 'noise', from, to, every: '1h' });
      if (mine !== asked) return;
      const hours = hourlySlots(rows, from, limit);
      const summary = h('p', { class: 'limits' },
        `${t('noise.zone')} ${b.grid.noiseZone} · ${t('noise.limit')} ${limit ?? '—'} dB(A) · ${t('noise.impulse')} ${limit === undefined ? '—' : limit + NOISE_IMPULSE_DB} dB(A)`);
      if (hours.every((s) => s.laeq === null)) return void out.replaceChildren(summary, note(t('noise.empty')));
      const chartBox = h('div', { class: 'chart card' });
      const table = h('table', { class: 'table noise-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('noise.hour')), h('th', {}, 'LAeq'), h('th', {}, 'Lmax'), h('th', {}, t('noise.over')))),
        h('tbody', {}, hours.map((s) => h('tr', { class: s.over ? 'over' : undefined },
          h('td', {}, fmtTime(s.hour, lang(), false)),
          h('td', {}, s.laeq === null ? '—' : s.laeq.toFixed(1)),
          h('td', {}, s.lmax === null ? '—' : s.lmax.toFixed(1)),
          h('td', {}, s.over ? '●' : '')))));
      out.replaceChildren(summary, chartBox, h('div', { class: 'scroll' }, table));
      destroyChart = noiseChart(chartBox, hours, limit, { laeq: 'LAeq', lmax: 'Lmax', limit: t('noise.limit'), impulse: t('noise.impulse') }, lang());
    } catch (err) {
      if (mine === asked) out.replaceChildren(note(errorText(err, t), 'error'));
    }
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void show();
  });
  // buildings with a noise sensor come first, and the page opens on the first of them
  Promise.all([loadSites(), get<DeviceView[]>('/devices').catch(() => [] as DeviceView[])])
    .then(([s, devices]) => {
      const heard = new Set(devices.filter((d) => d.kind === 'noise').map((d) => d.building));
      const all = buildingsOf(s);
      refs = [...all.filter((b) => heard.has(b.id)), ...all.filter((b) => !heard.has(b.id))];
      building.replaceChildren(...refs.map((b) => h('option', { value: b.id, 'data-noise': heard.has(b.id) ? 'yes' : 'no' }, `${b.community} · ${b.grid.name} · ${b.name}${heard.has(b.id) ? '' : ` (${t('noise.noSensor')})`}`)));
      void show();
    })
    .catch((err: unknown) => out.replaceChildren(note(errorText(err, t), 'error')));
  return () => destroyChart?.();
};
