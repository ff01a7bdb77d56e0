// The built panel in headless Chromium against the REAL hub (in process, real influxd, real MQTT):
// a grid worker logs in, a gas sensor crosses the critical threshold over MQTT, the case appears
// without a reload, the worker acknowledges it, and the API confirms the new state.
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertCase, LedgerEntry } from '../../src/core/alert-types.js';
import { hashSecretSync } from '../../src/core/secret.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { FAST_SCRYPT, startTestHub, until, type TestHub } from '../helpers/hub.js';
import { lastNight, nightWindow } from '../../dashboards/panel/src/logic/noise.js';
import { ARTIFACTS, DESKTOP, PHONE, buildPanel, launchChromium } from './browser.js';

const PASSWORD = 'pass-word-1';
const people = [{ id: 'hantao', name: '韩涛', role: 'grid_worker', grids: ['g1'], passwordHash: hashSecretSync(PASSWORD, FAST_SCRYPT) }];

let influx: TestInflux;
let t: TestHub;
let browser: Browser;
let base: string;
let token: string;

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

beforeAll(async () => {
  await buildPanel();
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url,
    devices: [{ id: 'gas-b1-0101', kind: 'gas' }, { id: 'gas-b1-0202', kind: 'gas' }, { id: 'noise-b1-roof', kind: 'noise' }],
    overrides: { people },
  });
  base = `http://127.0.0.1:${t.hub.httpPort}`;
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'hantao', password: PASSWORD }) });
  expect(login.status).toBe(200);
  token = ((await login.json()) as { token: string }).token;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await influx?.cleanup();
});

/** logs in through the panel and waits for the live link */
async function signIn(page: Page): Promise<void> {
  await page.goto(`${base}/#/alerts`);
  await page.fill('input[name=username]', 'hantao');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('.page-alerts');
  await page.waitForSelector('[data-live=on]', { timeout: 30_000 });
}

async function gasAlarmAcknowledged(device: string, opts: BrowserContextOptions, shot: string, tap: boolean): Promise<void> {
  const ctx = await browser.newContext(opts);
  const page = await ctx.newPage();
  let client: MqttClient | undefined;
  try {
    await signIn(page);
    client = await t.connect(device);
    await client.publishAsync(`gridwatch/v1/${device}/reading`, JSON.stringify({ lel: 30, battery: 90 }), { qos: 1 });
    // the case arrives over socket.io: no reload
    const card = page.locator(`.case[data-severity=critical]`, { hasText: device });
    await card.waitFor({ timeout: 30_000 });
    const id = await card.getAttribute('data-case-id');
    expect(id).toBeTruthy();
    expect(await card.getAttribute('data-state')).toBe('open');
    const ack = card.locator('[data-action=ack]');
    if (tap) await ack.tap();
    else await ack.click();
    await page.waitForSelector(`[data-case-id="${id}"][data-state=acknowledged]`, { timeout: 30_000 });
    const got = await until(async () => {
      const r = await api<{ case: AlertCase; ledger: LedgerEntry[] }>(`/alerts/${encodeURIComponent(id ?? '')}`);
      return r.case.state === 'acknowledged' ? r : undefined;
    }, 15_000, 'acknowledged case');
    expect(got.case).toMatchObject({ device, severity: 'critical', acknowledgedBy: 'hantao' });
    expect(got.ledger.map((e) => e.action)).toContain('acknowledged');
    await page.screenshot({ path: join(ARTIFACTS, shot) });
  } finally {
    client?.end(true);
    await ctx.close();
  }
}

describe('panel against the real hub', () => {
  it('desktop: a gas reading over MQTT opens a critical case live; acknowledge reaches the API', async () => {
    await gasAlarmAcknowledged('gas-b1-0101', DESKTOP, 'hub-alerts-desktop.png', false);
  });

  it('phone 375x812: the same flow by touch', async () => {
    await gasAlarmAcknowledged('gas-b1-0202', PHONE, 'hub-alerts-phone.png', true);
  });

  it('sensors page updates a value live from MQTT; uptime page lists the audit from the real reports', async () => {
    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    const client = await t.connect('gas-b1-0101');
    try {
      await signIn(page);
      await page.click('nav a[href="#/sensors"]');
      await page.waitForSelector('[data-device=gas-b1-0101]');
      await page.waitForSelector('[data-device=gas-b1-0202]');
      await client.publishAsync('gridwatch/v1/gas-b1-0101/reading', JSON.stringify({ lel: 3.5, valve: 'open', battery: 77 }), { qos: 1 });
      await page.waitForSelector('[data-device=gas-b1-0101] .device-value >> text=3.5 % LEL · 阀门开', { timeout: 30_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'hub-sensors.png') });
      await page.click('nav a[href="#/uptime"]');
      await page.waitForSelector('table.uptime tbody tr[data-device=gas-b1-0101]', { timeout: 30_000 });
      expect(await page.locator('table.uptime tbody tr').count()).toBe(3);
      await page.screenshot({ path: join(ARTIFACTS, 'hub-uptime.png') });
    } finally {
      client.end(true);
      await ctx.close();
    }
  });

  it('night noise page charts last night from readings stored in InfluxDB against the zone limit', async () => {
    const night = lastNight(Date.now());
    const { from } = nightWindow(night);
    const client = await t.connect('noise-b1-roof');
    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    try {
      // one reading 10 minutes into each night hour: LAeq 40..47, Lmax 55..62 dB(A)
      const batch = Array.from({ length: 8 }, (_, i) => ({ ts: from + i * 3_600_000 + 600_000, laeq: 40 + i, lmax: 55 + i, interval_s: 60 }));
      await client.publishAsync('gridwatch/v1/noise-b1-roof/reading', JSON.stringify(batch), { qos: 1 });
      await until(async () => {
        const rows = await api<unknown[]>(`/readings?device=noise-b1-roof&kind=noise&from=${from}&to=${from + 8 * 3_600_000}&every=1h`);
        return rows.length === 8 || undefined;
      }, 30_000, 'eight hourly noise rows');
      await signIn(page);
      await page.click('nav a[href="#/noise"]');
      await page.selectOption('select[name=building]', 'b1');
      await page.fill('input[name=night]', night);
      await page.click('.filters button[type=submit]');
      await page.waitForSelector('.chart canvas', { timeout: 30_000 });
      const laeq = await page.locator('.noise-table tbody td:nth-child(2)').allTextContents();
      expect(laeq).toEqual(['40.0', '41.0', '42.0', '43.0', '44.0', '45.0', '46.0', '47.0']);
      // zone 1 night limit 45 dB(A): 04:00 and 05:00 are over (LAeq 46, 47; Lmax 61, 62 > 60)
      expect(await page.locator('.noise-table tbody tr.over td:first-child').allTextContents()).toEqual(['04:00', '05:00']);
      expect(await page.textContent('.limits')).toContain('45 dB(A)');
      await page.screenshot({ path: join(ARTIFACTS, 'hub-noise.png'), fullPage: true });
    } finally {
      client.end(true);
      await ctx.close();
    }
  });
});
