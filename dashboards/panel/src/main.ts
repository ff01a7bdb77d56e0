// The panel's entry: session, socket, header, the banners every page carries (connection lost,
// critical waiting) and the hash router (#/login, #/alerts, #/alerts/<id>, #/history, #/sensors,
// #/noise, #/uptime, #/work). Unknown routes get the not-found page.
import './style.css';
import 'uplot/dist/uPlot.min.css';
import { alertCases, currentTrust, followAlerts, onAlerts, onTrust, resetAlerts } from './alert-store.js';
import { loadSession, logout } from './api.js';
import { hasStoredLang, lang, setLang, t, tf, tx, type MessageKey } from './i18n/index.js';
import { connectLive, disconnectLive, type LiveSocket } from './live.js';
import { isUnackedCritical } from './logic/alerts.js';
import type { Cleanup, Page } from './page.js';
import { renderAlertDetail } from './pages/alert-detail.js';
import { renderAlerts } from './pages/alerts.js';
import { renderHistory } from './pages/history.js';
import { renderLogin } from './pages/login.js';
import { renderNoise } from './pages/noise.js';
import { renderSensors } from './pages/sensors.js';
import { renderUptime } from './pages/uptime.js';
import { renderWork } from './pages/work.js';
import { forgetSites } from './sites.js';
import { unlockAudio } from './ui/alarm.js';
import { h } from './ui/dom.js';
import { keepAwake } from './ui/wake.js';

const app = document.getElementById('app') as HTMLElement;
const routes: { name: string; label: MessageKey; page: Page }[] = [
  { name: 'alerts', label: 'nav.alerts', page: renderAlerts },
  { name: 'sensors', label: 'nav.sensors', page: renderSensors },
  { name: 'noise', label: 'nav.noise', page: renderNoise },
  { name: 'uptime', label: 'nav.uptime', page: renderUptime },
  { name: 'history', label: 'nav.history', page: renderHistory },
  { name: 'work', label: 'nav.work', page: renderWork },
];
let socket: LiveSocket | undefined;
let cleanup: Cleanup | void;

function parseHash(): { name: string; param?: string } {
  const [name = '', param] = window.location.hash.replace(/^#\/?/, '').split('/');
  return { name, param: param ? decodeURIComponent(param) : undefined };
}

function liveBadge(): HTMLElement {
  const on = currentTrust().connected;
  return h('span', { class: `live ${on ? 'live-on' : 'live-off'}`, 'data-live': on ? 'on' : 'off' }, t(on ? 'live.on' : 'live.off'));
}

/** loud, on every page: the link is down or the list could not be loaded */
function connBanner(): HTMLElement {
  const tr = currentTrust();
  const state = !tr.connected ? 'down' : tr.synced ? 'ok' : tr.failed ? 'failed' : 'syncing';
  const text = { down: t('conn.down'), failed: t('conn.syncFailed'), syncing: t('conn.syncing'), ok: '' }[state];
  const loud = state === 'down' || state === 'failed';
  return h('div', { class: `banner banner-conn banner-${loud ? 'down' : state}`, 'data-conn': state, role: loud ? 'alert' : undefined, hidden: state === 'ok' }, text);
}

/** loud, on every page: critical cases nobody has acknowledged yet */
function criticalBanner(): HTMLElement {
  const waiting = alertCases().filter(isUnackedCritical);
  const first = waiting[0];
  return h('div', { class: 'banner banner-critical', 'data-critical': String(waiting.length), role: waiting.length ? 'alert' : undefined, hidden: waiting.length === 0 },
    tf('alerts.criticalBanner', { n: waiting.length }), ' ',
    first ? h('a', { href: `#/alerts/${encodeURIComponent(first.id)}` }, `${first.title[lang()] || first.title.zh} →`) : null);
}

function refreshBanners(): void {
  document.querySelector('.live')?.replaceWith(liveBadge());
  document.querySelector('.banner-conn')?.replaceWith(connBanner());
  document.querySelector('.banner-critical')?.replaceWith(criticalBanner());
}

function header(current: string): HTMLElement {
  const session = loadSession();
  const nav = h('nav', { class: 'nav' }, routes.map((r) =>
    h('a', { href: `#/${r.name}`, class: r.name === current ? 'active' : undefined }, t(r.label), r.name === 'alerts' ? h('span', { class: 'nav-count', 'data-count': 'open' }) : null)));
  const langBtn = h('button', { class: 'btn-link', 'data-action': 'lang', onclick: () => { setLang(lang() === 'zh' ? 'en' : 'zh'); render(); } }, t('nav.lang'));
  const out = h('button', { class: 'btn-link', 'data-action': 'logout', onclick: () => void signOut() }, t('nav.logout'));
  const who = session ? h('span', { class: 'who', 'data-user': session.user.id }, tf('nav.user', { name: session.user.name, role: tx('role', session.user.role) })) : null;
  return h('header', { class: 'top' }, h('strong', { class: 'brand' }, t('appName')), nav, h('div', { class: 'tools' }, who, liveBadge(), langBtn, out));
}

/** forget everything the last user could see */
function endSession(): void {
  disconnectLive();
  socket = undefined;
  resetAlerts();
  forgetSites();
  keepAwake(false);
}

async function signOut(): Promise<void> {
  await logout();
  endSession();
  window.location.hash = '#/login';
}

function startSession(token: string): LiveSocket {
  const s = connectLive(token, () => undefined);
  followAlerts(s);
  onTrust(refreshBanners);
  onAlerts((list) => {
    showOpenCount();
    refreshBanners();
    // keep the phone's screen on while a critical case waits for someone
    keepAwake(list.some(isUnackedCritical));
  });
  return s;
}

/** the number of cases waiting for acknowledgement, on the alerts tab */
function showOpenCount(): void {
  const n = alertCases().filter((c) => c.state === 'open').length;
  const el = document.querySelector<HTMLElement>('[data-count=open]');
  if (el) el.textContent = n > 0 ? String(n) : '';
}

function notFound(main: HTMLElement, path: string): void {
  main.append(h('h1', {}, t('notFound.title')), h('p', { class: 'note', 'data-not-found': path }, tf('notFound.body', { path })), h('a', { class: 'btn', href: '#/alerts' }, t('notFound.home')));
}

function render(): void {
  if (cleanup) cleanup();
  cleanup = undefined;
  const session = loadSession();
  const { name, param } = parseHash();
  if (!session || name === 'login') {
    if (session && name === 'login') return void (window.location.hash = '#/alerts');
    app.replaceChildren();
    renderLogin(app, (s) => {
      if (s.user.lang && !hasStoredLang()) setLang(s.user.lang, false);
      // keep a deep link (e.g. #/alerts/<id> from a notification) once signed in
      const target = name && name !== 'login' ? window.location.hash : '#/alerts';
      if (window.location.hash === target) render();
      else window.location.hash = target;
    });
    return;
  }
  socket ??= startSession(session.token);
  if (name === '') return void (window.location.hash = '#/alerts');
  const route = routes.find((r) => r.name === name);
  const main = h('main', { class: `page page-${route?.name ?? 'not-found'}` });
  app.replaceChildren(header(route?.name ?? ''), connBanner(), criticalBanner(), main);
  showOpenCount();
  if (!route) {
    document.title = `${t('notFound.title')} · ${t('appName')}`;
    return notFound(main, window.location.hash || window.location.pathname);
  }
  document.title = `${t(route.label)} · ${t('appName')}`;
  const page = route.name === 'alerts' && param ? renderAlertDetail : route.page;
  cleanup = page(main, { session, socket, param });
}

window.addEventListener('hashchange', render);
window.addEventListener('gw:unauthorized', () => {
  endSession();
  window.location.hash = '#/login';
});
setLang(lang(), false);
unlockAudio();
render();
