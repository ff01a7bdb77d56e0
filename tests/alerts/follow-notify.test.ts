// A hub that stops leading the rules without dying (cluster mode: a Redis or PostgreSQL blip) must
// drop its pending notification retries unrecorded: the next leader's resumeNotifications() hands
// them out again, and a retry still running here would call the grid worker twice (dedup is per
// process) and could dead-letter what the other hub delivered. A real hub (single mode, SQLite),
// a real webhook channel with its default retries, a real HTTP receiver; follow() and lead() as
// src/hub/cluster-rules.ts drives them (the next leader is this same hub: its dedup would hide a
// retry that was not dropped).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertingHandle, AlertInput } from '../../src/alerts/attach.js';
import type { AlertService } from '../../src/core/alert-types.js';
import { ManualClock } from '../../src/core/clock.js';
import type { DeviceInfo } from '../../src/core/domain.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';
import { useRecorder } from '../notify/http-recorder.js';
import { PEOPLE } from './harness.js';

const srv = useRecorder({ status: 503, body: 'down' });
let influx: TestInflux;
let t: TestHub;
const clock = new ManualClock(Date.UTC(2026, 0, 12, 2, 0));
let alerting: AlertingHandle;
let alerts: AlertService;

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url, clock, database: 'gw_follow_notify',
    devices: [{ id: 'gas-1', kind: 'gas' }],
    overrides: { people: PEOPLE, streetDuty: ['duty'], channels: [{ id: 'ops-hook', type: 'webhook', url: `${srv.url}/hook`, maxAttempts: 20 }] },
  });
  alerting = t.hub.alerting as AlertingHandle;
  alerts = t.hub.ctx.alerts as AlertService;
}, 120_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

const reading = (lel: number): AlertInput => ({ type: 'reading', reading: { device: 'gas-1', kind: 'gas', ts: clock.now(), values: { lel } }, device: t.hub.ctx.registry.device('gas-1') as DeviceInfo });
const deliveries = async (id: string): Promise<Record<string, unknown>[]> =>
  ((await alerts.get(id))?.ledger ?? []).filter((e) => e.action === 'notified' || e.action === 'delivery_failed').map((e) => ({ action: e.action, ...e.data }));

describe('follow(): pending notifications are handed over with the lead', () => {
  it('a retry waiting on a 503 is dropped unrecorded; the next leader delivers it once, as resumed', async () => {
    await alerting.handle(reading(32));
    const [c] = await alerts.list({ device: 'gas-1' });
    const id = c?.id as string;
    await until(async () => (await deliveries(id)).length === 1 || undefined, 10_000, 'the first attempt recorded');
    expect(await deliveries(id)).toEqual([expect.objectContaining({ action: 'delivery_failed', channel: 'ops-hook', final: false, step: 0 })]);

    await alerting.follow(); // the lease was lost; its retry (about a second away) must not run
    srv.fallback = { status: 204 };
    await alerting.lead();
    expect(await alerting.resumeNotifications('takeover')).toBe(1);
    await until(async () => (await deliveries(id)).some((d) => d.action === 'notified') || undefined, 10_000, 'the resumed delivery recorded');

    const done = await deliveries(id);
    expect(done.filter((d) => d.action === 'notified')).toEqual([expect.objectContaining({ channel: 'ops-hook', step: 0, resumed: 'takeover' })]);
    expect(done.filter((d) => d.action === 'delivery_failed' && d.final === true)).toEqual([]);
    expect(srv.requests.map((r) => r.url)).toEqual(['/hook', '/hook']);
  });
});
