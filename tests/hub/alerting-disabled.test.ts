import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { hashSecretSync } from '../../src/core/secret.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { FAST_SCRYPT, startTestHub, until, type TestHub } from '../helpers/hub.js';

const ADMIN = { id: 'root', password: 'pw-root-secret' };
let influx: TestInflux;
let t: TestHub;

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url,
    devices: [{ id: 'smoke-off1', kind: 'smoke' }],
    overrides: {
      alerting: { enabled: false },
      people: [{ id: ADMIN.id, name: '管理员', role: 'admin', passwordHash: hashSecretSync(ADMIN.password, FAST_SCRYPT) }],
    },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

describe('hub with alerting.enabled: false', () => {
  it('stores readings, opens no case, creates no alerts.db and does not serve /alerts or /silences', async () => {
    const alerts: unknown[] = [];
    t.hub.ctx.bus.on('alert', (c) => alerts.push(c));
    const c = await t.connect('smoke-off1');
    // a smoke alarm: with alerting on, the default rules open a critical case
    const now = Date.now();
    for (let seq = 1; seq <= 3; seq++) {
      await c.publishAsync('gridwatch/v1/smoke-off1/reading', JSON.stringify({ seq, ts: now - 3 + seq, alarm: true, obscuration: 3, battery: 90, rssi: -60 }), { qos: 1 });
    }
    const stored = await until(async () => {
      const rows = await influx.query("SELECT alarm FROM smoke WHERE device = 'smoke-off1'", 'gridwatch');
      const values = rows[0]?.values ?? [];
      return values.length === 3 ? values.map((v) => v[1]) : undefined;
    }, 30_000, 'three readings in InfluxDB');
    expect(stored).toEqual([true, true, true]);
    await c.endAsync();

    expect(t.hub.ctx.alerts).toBeUndefined();
    expect(alerts).toEqual([]);
    expect(existsSync(join(t.dataDir, 'alerts.db'))).toBe(false);

    const base = `http://127.0.0.1:${t.hub.httpPort}/api/v1`;
    const login = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: ADMIN.id, password: ADMIN.password }) });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const get = (path: string): Promise<number> => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await get('/devices')).toBe(200); // the API itself is served, and the token works
    expect(await get('/alerts')).toBe(404);
    expect(await get('/silences')).toBe(404);
  }, 60_000);
});
