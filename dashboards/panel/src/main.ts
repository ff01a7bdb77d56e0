// The panel's entry: session, socket, header and the hash router
// (#/login, #/alerts, #/alerts/<id>, #/sensors, #/noise, #/uptime).
import './style.css';
import 'uplot/dist/uPlot.min.css';
import { alertCases, followAlerts, loadAlerts, onAlerts, resetAlerts } from './alert-store.js';
import { loadSession, logout } from './api.js';
import { hasStoredLang, lang, setLang, t, type MessageKey } from './i18n/index.js';
import { connectLive, disconnectLive, type LiveSocket } from './live.js';
import type { Cleanup, Page } from './page.js';
import { renderAlertDetail } from './pages/alert-detail.js';
import { renderAlerts } from './pages/alerts.js';
import { renderLogin } from './pages/login.js';
import { renderNoise } from './pages/noise.js';
import { renderSensors } from './pages/sensors.js';
import { renderUptime } from './pages/uptime.js';
import { forgetSites } from './sites.js';
import { unlockAudio } from './ui/alarm.js';
import { h } from './ui/dom.js';

const app = document.getElementById('app') as HTMLElement;
const routes: { name: string; label: MessageKey; page: Page }[] = [
  { name: 'alerts', label: 'nav.alerts', page: renderAlerts },
  { name: 'sensors', label: 'nav.sensors', page: renderSensors },
  { name: 'noise', label: 'nav.noise', page: renderNoise },
  { name: 'uptime', label: 'nav.uptime', page: renderUptime },
];
let socket: LiveSocket | undefined;
let connected = false;
let cleanup: Cleanup | void;

function parseHash(): { name: string; param?: string } {
  const [name = '', param] = window.location.hash.replace(/^#\/?/, '').split('/');
  return { name, param: param ? decodeURIComponent(param) : undefined };
}

function liveBadge(): HTMLElement {
  return h('span', { class: `live ${connected ? 'live-on' : 'live-off'}`, 'data-live': connected ? 'on' : 'off' }, t(connected ? 'live.on' : 'live.off'));
}

function header(current: string): HTMLElement {
  const nav = h('nav', { class: 'nav' }, routes.map((r) =>
    h('a', { href: `#/${r.name}`, class: r.name === current ? 'active' : undefined }, t(r.label), r.name === 'alerts' ? h('span', { class: 'nav-count', 'data-count': 'open' }) : null)));
  const langBtn = h('button', { class: 'btn-link', 'data-action': 'lang', onclick: () => { setLang(lang() === 'zh' ? 'en' : 'zh'); render(); } }, t('nav.lang'));
  const out = h('button', { class: 'btn-link', 'data-action': 'logout', onclick: () => void signOut() }, t('nav.logout'));
  return h('header', { class: 'top' }, h('strong', { class: 'brand' }, t('appName')), nav, h('div', { class: 'tools' }, liveBadge(), langBtn, out));
}

/** forget everything the last user could see */
function endSession(): void {
  disconnectLive();
  socket = undefined;
  resetAlerts();
  forgetSites();
}

async function signOut(): Promise<void> {
  await logout();
  endSession();
  window.location.hash = '#/login';
}

function startSession(token: string): LiveSocket {
  const s = connectLive(token, (on) => {
    connected = on;
    document.querySelector('.live')?.replaceWith(liveBadge());
  });
  followAlerts(s);
  onAlerts(showOpenCount);
  void loadAlerts().catch(() => undefined);
  return s;
}

/** the number of cases waiting for acknowledgement, on the alerts tab */
function showOpenCount(): void {
  const n = alertCases().filter((c) => c.state === 'open').length;
  const el = document.querySelector<HTMLElement>('[data-count=open]');
  if (el) el.textContent = n > 0 ? String(n) : '';
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
  const route = routes.find((r) => r.name === name);
  if (!route) return void (window.location.hash = '#/alerts');
  const main = h('main', { class: `page page-${route.name}` });
  app.replaceChildren(header(route.name), main);
  document.title = `${t(route.label)} · ${t('appName')}`;
  showOpenCount();
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
