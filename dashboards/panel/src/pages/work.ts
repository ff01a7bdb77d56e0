// #/work: the work screens, all through the existing API and its permissions: maintenance
// silences (scope, reason, expiry; end early) for anyone who may act on the grid; for admins,
// people (add, change role and grids, reset password, disable) and devices (register with the
// secret shown once, rotate, decommission). The hub refuses what the role may not do.
import { get, send } from '../api.js';
import { lang, t, tf, tx } from '../i18n/index.js';
import { fmtTime } from '../logic/format.js';
import { errorText, type Page } from '../page.js';
import { nameOf, loadPeople, forgetPeople } from '../people.js';
import { buildingsOf, gridsOf, loadSites } from '../sites.js';
import type { DeviceView, SiteStreet } from '../types.js';
import { h, note } from '../ui/dom.js';

interface Silence { id: string; scope: { device?: string; building?: string; grid?: string }; until: number; author: string; reason?: string }
interface PersonRow { id: string; name: string; role: string; grids: string[] }

const ROLES = ['grid_worker', 'grid_leader', 'street', 'admin'];
const localInput = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16);

/** a one-time secret in a box the user can copy */
function shownOnce(label: string, value: string): HTMLElement {
  return h('div', { class: 'secret', role: 'status' }, `${label} ${t('work.shownOnce')} `, h('code', { 'data-secret': '' }, value));
}

function msgOf(el: HTMLElement, err: unknown): void {
  el.replaceChildren(note(errorText(err, t), 'error'));
}

function silences(sites: SiteStreet[]): HTMLElement {
  const box = h('section', { class: 'card work-silences' }, h('h2', {}, t('work.silences')));
  const list = h('ul', { class: 'work-list' });
  const msg = h('div', { class: 'msg' });
  const kind = h('select', { name: 'scope' }, ...(['grid', 'building', 'device'] as const).map((k) => h('option', { value: k }, t(k === 'grid' ? 'work.scopeGrid' : k === 'building' ? 'work.scopeBuilding' : 'work.scopeDevice'))));
  const target = h('select', { name: 'target' });
  const reason = h('input', { name: 'reason', required: true });
  const until = h('input', { name: 'until', type: 'datetime-local', value: localInput(Date.now() + 2 * 3_600_000) });
  let devices: DeviceView[] = [];
  const fillTargets = (): void => {
    const opts = kind.value === 'grid' ? gridsOf(sites).map((g) => [g.id, g.name])
      : kind.value === 'building' ? buildingsOf(sites).map((b) => [b.id, `${b.community} ${b.grid.name} ${b.name}`])
        : devices.map((d) => [d.id, d.id]);
    target.replaceChildren(...opts.map(([v, l]) => h('option', { value: v ?? '' }, l ?? '')));
  };
  kind.addEventListener('change', fillTargets);
  const names = new Map<string, string>([...gridsOf(sites).map((g) => [g.id, g.name] as [string, string]), ...buildingsOf(sites).map((b) => [b.id, `${b.community} ${b.name}`] as [string, string])]);
  const load = async (): Promise<void> => {
    try {
      const all = await get<Silence[]>('/silences');
      const now = Date.now();
      const live = all.filter((s) => s.until > now);
      list.replaceChildren(...(live.length ? live.map((s) => {
        const id = s.scope.device ?? s.scope.building ?? s.scope.grid ?? '';
        const end = h('button', { class: 'btn', 'data-action': 'end-silence' }, t('work.endSilence'));
        end.addEventListener('click', () => void send('DELETE', `/silences/${encodeURIComponent(s.id)}`).then(load).catch((e: unknown) => msgOf(msg, e)));
        return h('li', { 'data-silence': s.id }, tf('work.silenceLine', { target: names.get(id) ?? id, until: fmtTime(s.until, lang()), author: nameOf(s.author), reason: s.reason ?? '' }), end);
      }) : [h('li', { class: 'muted' }, t('work.noSilences'))]));
    } catch (e) {
      msgOf(msg, e);
    }
  };
  const form = h('form', { class: 'filters filters-wide' },
    h('label', {}, t('work.silenceScope'), kind), h('label', {}, t('work.target'), target),
    h('label', {}, t('work.reason'), reason), h('label', {}, t('work.until'), until),
    h('div', { class: 'row' }, h('button', { class: 'btn btn-primary', type: 'submit' }, t('work.addSilence'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const untilMs = Date.parse(`${until.value}:00+08:00`);
    send('POST', '/silences', { scope: { [kind.value]: target.value }, from: Date.now(), until: untilMs, reason: reason.value.trim() })
      .then(() => { reason.value = ''; msg.replaceChildren(); return load(); })
      .catch((e: unknown) => msgOf(msg, e));
  });
  get<DeviceView[]>('/devices').then((d) => { devices = d; fillTargets(); }).catch(() => fillTargets());
  fillTargets();
  void load();
  box.append(list, form, msg);
  return box;
}

function people(sites: SiteStreet[]): HTMLElement {
  const box = h('section', { class: 'card work-people' }, h('h2', {}, t('work.people')));
  const list = h('div', { class: 'scroll' });
  const msg = h('div', { class: 'msg' });
  const grids = gridsOf(sites);
  const gridSelect = (selected: string[], name: string): HTMLSelectElement =>
    h('select', { name, multiple: true, size: Math.min(4, grids.length) }, ...grids.map((g) => h('option', { value: g.id, selected: selected.includes(g.id) }, g.name)));
  const roleSelect = (role: string, name: string): HTMLSelectElement => {
    const s = h('select', { name }, ...ROLES.map((r) => h('option', { value: r }, tx('role', r))));
    s.value = role;
    return s;
  };
  const picked = (s: HTMLSelectElement): string[] => [...s.selectedOptions].map((o) => o.value);
  const load = async (): Promise<void> => {
    try {
      const rows = await get<PersonRow[]>('/people');
      list.replaceChildren(h('table', { class: 'table work-table' }, h('tbody', {}, rows.map((p) => {
        const role = roleSelect(p.role, 'role');
        const gs = gridSelect(p.grids, 'grids');
        const out = h('td', {});
        const act = (fn: () => Promise<unknown>): void => void fn().then(() => { forgetPeople(); return load(); }).catch((e: unknown) => msgOf(msg, e));
        const save = h('button', { class: 'btn', 'data-action': 'save-person', onclick: () => act(() => send('PATCH', `/people/${encodeURIComponent(p.id)}`, { role: role.value, grids: picked(gs) })) }, t('work.save'));
        const reset = h('button', { class: 'btn', 'data-action': 'reset-password', onclick: () => void send<{ password: string }>('POST', `/people/${encodeURIComponent(p.id)}/reset-password`).then((r) => msg.replaceChildren(shownOnce(p.name, r.password))).catch((e: unknown) => msgOf(msg, e)) }, t('work.resetPassword'));
        const disable = h('button', { class: 'btn btn-danger', 'data-action': 'disable-person', onclick: () => { if (confirm(`${p.name}: ${t('work.confirm')}`)) act(() => send('DELETE', `/people/${encodeURIComponent(p.id)}`)); } }, t('work.disable'));
        out.append(save, reset, disable);
        return h('tr', { 'data-person': p.id }, h('td', {}, h('strong', {}, p.name), h('div', { class: 'muted' }, p.id)), h('td', {}, role), h('td', {}, gs), out);
      }))));
    } catch (e) {
      msgOf(msg, e);
    }
  };
  const id = h('input', { name: 'id', required: true, autocapitalize: 'none' });
  const name = h('input', { name: 'name', required: true });
  const role = roleSelect('grid_worker', 'role');
  const gs = gridSelect([], 'grids');
  const form = h('form', { class: 'filters filters-wide' },
    h('label', {}, t('work.id'), id), h('label', {}, t('work.name'), name), h('label', {}, t('work.role'), role), h('label', {}, t('work.grids'), gs),
    h('div', { class: 'row' }, h('button', { class: 'btn btn-primary', type: 'submit', 'data-action': 'add-person' }, t('work.addPerson'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    send<{ person: PersonRow; password: string }>('POST', '/people', { id: id.value.trim(), name: name.value.trim(), role: role.value, grids: picked(gs) })
      .then((r) => { msg.replaceChildren(shownOnce(r.person.name, r.password)); forgetPeople(); return load(); })
      .catch((e: unknown) => msgOf(msg, e));
  });
  void load();
  box.append(form, msg, list);
  return box;
}

function devicesBox(sites: SiteStreet[]): HTMLElement {
  const box = h('section', { class: 'card work-devices' }, h('h2', {}, t('work.devices')));
  const list = h('div', { class: 'scroll' });
  const msg = h('div', { class: 'msg' });
  const load = async (): Promise<void> => {
    try {
      const rows = await get<DeviceView[]>('/devices');
      list.replaceChildren(h('table', { class: 'table work-table' }, h('tbody', {}, rows.map((d) => {
        const rotate = h('button', { class: 'btn', 'data-action': 'rotate', onclick: () => void send<{ secret: string }>('POST', `/devices/${encodeURIComponent(d.id)}/rotate-secret`).then((r) => msg.replaceChildren(shownOnce(d.id, r.secret))).catch((e: unknown) => msgOf(msg, e)) }, t('work.rotate'));
        const off = h('button', { class: 'btn btn-danger', 'data-action': 'decommission', onclick: () => { if (confirm(`${d.id}: ${t('work.confirm')}`)) void send('DELETE', `/devices/${encodeURIComponent(d.id)}`).then(load).catch((e: unknown) => msgOf(msg, e)); } }, t('work.decommission'));
        return h('tr', { 'data-device-row': d.id }, h('td', {}, d.id), h('td', {}, tx('kind', d.kind)), h('td', {}, `${d.building} ${d.unit ?? ''}`), h('td', {}, rotate, off));
      }))));
    } catch (e) {
      msgOf(msg, e);
    }
  };
  const id = h('input', { name: 'device-id', required: true, autocapitalize: 'none' });
  const kind = h('select', { name: 'kind' }, ...['gas', 'smoke', 'water', 'noise'].map((k) => h('option', { value: k }, tx('kind', k))));
  const building = h('select', { name: 'building' }, ...buildingsOf(sites).map((b) => h('option', { value: b.id }, `${b.community} ${b.grid.name} ${b.name}`)));
  const unit = h('input', { name: 'unit' });
  const form = h('form', { class: 'filters filters-wide' },
    h('label', {}, t('work.id'), id), h('label', {}, t('work.kind'), kind), h('label', {}, t('work.building'), building), h('label', {}, t('work.unit'), unit),
    h('div', { class: 'row' }, h('button', { class: 'btn btn-primary', type: 'submit', 'data-action': 'add-device' }, t('work.addDevice'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    send<{ secret: string }>('POST', '/devices', { id: id.value.trim(), kind: kind.value, building: building.value, ...(unit.value.trim() ? { unit: unit.value.trim() } : {}) })
      .then((r) => { msg.replaceChildren(shownOnce(id.value.trim(), r.secret)); return load(); })
      .catch((e: unknown) => msgOf(msg, e));
  });
  void load();
  box.append(form, msg, list);
  return box;
}

export const renderWork: Page = (root, { session }) => {
  root.append(h('h1', {}, t('nav.work')));
  const body = h('div', { class: 'work' }, note(t('loading')));
  root.append(body);
  Promise.all([loadSites(), loadPeople().catch(() => [])])
    .then(([sites]) => {
      const admin = session.user.role === 'admin';
      body.replaceChildren(silences(sites), ...(admin ? [people(sites), devicesBox(sites)] : []));
    })
    .catch((e: unknown) => msgOf(body, e));
};
