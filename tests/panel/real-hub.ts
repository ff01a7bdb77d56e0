// The panel's browser tests run against the REAL hub (in process, real influxd, real MQTT,
// real SQLite) with a site like the demo's: two communities that both have a 3号楼, four grids,
// a worker per grid, a leader, a street user and an admin. The hub can be stopped and started
// again on the same HTTP port and data dir (a hub restart as the panel sees it). The panel is
// built into a directory of this test file's own (GRIDWATCH_PANEL_DIR), so test files building
// at the same time do not step on each other.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { parseConfig, type Config } from '../../src/config/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { hashSecretSync } from '../../src/core/secret.js';
import { startHub, type Hub } from '../../src/hub/hub.js';
import { FAST_SCRYPT } from '../helpers/hub.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { buildPanel, launchChromium } from './browser.js';

export const PASSWORD = 'pass-word-1';

export const PEOPLE = [
  { id: 'hantao', name: '韩涛', role: 'grid_worker', grids: ['lty-1'] },
  { id: 'chenjing', name: '陈静', role: 'grid_worker', grids: ['lty-2'] },
  { id: 'liuyang', name: '刘洋', role: 'grid_worker', grids: ['xf-1'] },
  { id: 'wangli', name: '王丽', role: 'grid_leader', grids: ['lty-1', 'lty-2'] },
  { id: 'street', name: '街道值班员', role: 'street', grids: [] },
  { id: 'admin', name: '管理员', role: 'admin', grids: [] },
].map((p) => ({ ...p, passwordHash: hashSecretSync(PASSWORD, FAST_SCRYPT) }));

/** device id → kind, building (unit 1单元101 unless given) */
export const DEVICES: { id: string; kind: 'gas' | 'smoke' | 'noise' | 'water'; building: string; unit?: string }[] = [
  { id: 'gas-lty3-0101', kind: 'gas', building: 'lty-3', unit: '1单元101' },
  { id: 'gas-lty3-0302', kind: 'gas', building: 'lty-3', unit: '3单元302' },
  { id: 'smoke-lty3-0101', kind: 'smoke', building: 'lty-3', unit: '1单元101' },
  { id: 'gas-lty8-0201', kind: 'gas', building: 'lty-8', unit: '2单元301' },
  { id: 'smoke-lty8-0201', kind: 'smoke', building: 'lty-8', unit: '2单元301' },
  { id: 'noise-lty8-roof', kind: 'noise', building: 'lty-8', unit: '楼顶' },
  { id: 'water-lty8-b1', kind: 'water', building: 'lty-8', unit: '地下室' },
  { id: 'gas-xf3-0101', kind: 'gas', building: 'xf-3', unit: '1单元101' },
];

function siteConfig(dataDir: string, influxUrl: string, httpPort: number): Config {
  const raw = {
    mqtt: { port: 0, host: '127.0.0.1' },
    http: { port: httpPort, host: '127.0.0.1' },
    dataDir,
    influx: { url: influxUrl, database: 'gridwatch', flushMs: 20 },
    streets: [{ id: 'liulin', name: '柳林街道', communities: [
      { id: 'lty', name: '龙天园社区', grids: [
        { id: 'lty-1', name: '第一网格', noiseZone: '1', buildings: [{ id: 'lty-3', name: '3号楼' }] },
        { id: 'lty-2', name: '第二网格', noiseZone: '2', buildings: [{ id: 'lty-8', name: '8号楼' }, { id: 'lty-5', name: '5号楼' }] },
      ] },
      { id: 'xf', name: '幸福里社区', grids: [
        { id: 'xf-1', name: '第一网格', noiseZone: '1', buildings: [{ id: 'xf-3', name: '3号楼' }] },
      ] },
    ] }],
    devices: DEVICES.map((d) => ({ id: d.id, kind: d.kind, building: d.building, unit: d.unit, intervalS: 60, secretHash: hashSecretSync(`pw-${d.id}`, FAST_SCRYPT) })),
    people: PEOPLE,
    streetDuty: ['street'],
  };
  return parseConfig(raw, '(panel test)', { env: {} });
}

export interface PanelHub {
  hub: Hub;
  base: string;
  dataDir: string;
  /** stops the hub as SIGTERM would (sockets disconnected server-side) */
  stop(): Promise<void>;
  /** starts it again on the same HTTP port and data dir */
  start(): Promise<void>;
  device(id: string): Promise<MqttClient>;
  publish(id: string, values: Record<string, unknown>): Promise<void>;
  /** a logged-in API call as `user` */
  api<T>(user: string, path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export async function startPanelHub(influxUrl: string): Promise<PanelHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-panel-hub-'));
  const panelDir = mkdtempSync(join(tmpdir(), 'gw-panel-dist-'));
  await buildPanel(panelDir);
  process.env.GRIDWATCH_PANEL_DIR = panelDir;
  let hub = await startHub(siteConfig(dataDir, influxUrl, 0), { logger: silentLogger() });
  const port = hub.httpPort;
  let running = true;
  const clients = new Map<string, MqttClient>();
  const tokens = new Map<string, string>();
  const base = `http://127.0.0.1:${port}`;
  const self: PanelHub = {
    get hub() { return hub; },
    base, dataDir,
    async stop() {
      for (const c of clients.values()) c.end(true);
      clients.clear();
      running = false;
      await hub.close();
    },
    async start() {
      hub = await startHub(siteConfig(dataDir, influxUrl, port), { logger: silentLogger() });
      running = true;
    },
    async device(id) {
      const known = clients.get(id);
      if (known?.connected) return known;
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.mqttPort}`, { clientId: id, username: id, password: `pw-${id}`, reconnectPeriod: 0 });
      clients.set(id, c);
      return c;
    },
    async publish(id, values) {
      const c = await self.device(id);
      await c.publishAsync(`gridwatch/v1/${id}/reading`, JSON.stringify(values), { qos: 1 });
    },
    async api<T>(user: string, path: string, init: { method?: string; body?: unknown } = {}) {
      let token = tokens.get(user);
      if (!token) {
        const r = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: PASSWORD }) });
        token = ((await r.json()) as { token: string }).token;
        tokens.set(user, token);
      }
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      const r = await fetch(`${base}/api/v1${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
      const text = await r.text();
      let body: unknown = text;
      try { body = JSON.parse(text); } catch { /* not JSON (CSV) */ }
      return { status: r.status, body: body as T };
    },
    async close() {
      if (running) await self.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(panelDir, { recursive: true, force: true });
    },
  };
  return self;
}

/** logs in through the panel's form and waits until the alert list is live and synced */
export async function signIn(page: Page, base: string, user: string): Promise<void> {
  await page.goto(`${base}/#/alerts`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('.page-alerts');
  await page.waitForSelector('[data-live=on]', { timeout: 30_000 });
  await page.waitForSelector('[data-conn=ok]', { state: 'attached', timeout: 30_000 });
}

/** The 1440 × 900 desk of a street duty officer. */
export const DESK: BrowserContextOptions = { viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };

export interface PanelRig {
  readonly t: PanelHub;
  readonly browser: Browser;
}

/** One real influxd, panel hub and Chromium for a test file: started before its tests, closed after. */
export function usePanelRig(): PanelRig {
  let influx: TestInflux | undefined;
  let t: PanelHub | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    influx = await startTestInflux();
    t = await startPanelHub(influx.url);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await influx?.cleanup();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the panel rig is used before its beforeAll ran');
    return v;
  };
  return {
    get t() { return started(t); },
    get browser() { return started(browser); },
  };
}
