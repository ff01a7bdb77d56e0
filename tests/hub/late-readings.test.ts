// Late, back-dated, stale and re-sent readings against the real hub (real broker, MQTT client over
// TCP, influxd, SQLite ledger) on a ManualClock: all stored, evaluated in reading-time order once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { AlertCase, AlertService } from '../../src/core/alert-types.js';
import { ManualClock } from '../../src/core/clock.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';

const DEVICE = 'gas-late-1';
const H = 3_600_000;
let influx: TestInflux;
let t: TestHub;
let client: MqttClient;
let alerts: AlertService;
const clock = new ManualClock(Date.now());
const T = clock.now();
const seen: number[] = [];
const refused: unknown[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url, clock, devices: [{ id: DEVICE, kind: 'gas' }],
    overrides: { rules: [{ id: 'gas-spikes', kind: 'gas', severity: 'warning', condition: { type: 'count', field: 'lel', gte: 8, min: 3, within: '1h' } }] },
  });
  alerts = t.hub.ctx.alerts as AlertService;
  t.hub.ctx.bus.on('reading', (r) => seen.push(r.ts));
  t.hub.ctx.bus.on('rejected', (r) => refused.push(r.value));
  client = await t.connect(DEVICE);
}, 120_000);

afterAll(async () => {
  client?.end(true);
  await t?.close();
  await influx?.cleanup();
}, 60_000);

const publish = (body: unknown): Promise<unknown> => client.publishAsync(`gridwatch/v1/${DEVICE}/reading`, JSON.stringify(body), { qos: 1 });
const cases = async (rule: string): Promise<AlertCase[]> => (await alerts.list({ device: DEVICE })).filter((c) => c.rule === rule);
const stored = async (from: number, to: number): Promise<number> =>
  Number(rows(await influx.query(`SELECT count("lel") FROM "gas" WHERE "device" = '${DEVICE}' AND time >= ${from}ms AND time < ${to}ms`, 'gridwatch'))[0]?.count ?? 0);

describe('late and back-dated readings on the real hub', () => {
  it('a device flushing hours of buffered readings out of order: all stored, none re-opens or flaps a case', async () => {
    await publish({ lel: 2, ts: T });
    await until(() => seen.includes(T), 30_000, 'first reading');
    // 80 buffered readings over the last 3 h, alternating leak / clean, in batches, shuffled
    const buffered = Array.from({ length: 80 }, (_, i) => ({ lel: i % 2 === 0 ? 30 : 2, ts: T - 3 * H + i * 120_000 }));
    buffered.sort((a, b) => ((a.ts * 7919) % 1000) - ((b.ts * 7919) % 1000));
    for (let i = 0; i < buffered.length; i += 20) await publish(buffered.slice(i, i + 20));
    await until(async () => (await stored(T - 3 * H, T)) === 80, 30_000, 'the flush stored');
    expect(await cases('gas-critical')).toEqual([]);
    expect(await cases('gas-warning')).toEqual([]);
  });

  it('a reading stamped 1970 opens no case, whether or not validation refuses it', async () => {
    await publish({ lel: 30, ts: 1000 });
    await until(() => seen.includes(1000) || refused.includes(1000), 30_000, 'the 1970 reading handled');
    expect(await cases('gas-critical')).toEqual([]);
  });

  it('the same reading re-sent counts once; distinct readings count', async () => {
    for (let i = 0; i < 3; i++) await publish({ lel: 9, ts: T + 1000 });
    await publish({ lel: 9.5, ts: T + 2000 });
    await until(async () => (await stored(T + 1000, T + 2001)) === 2, 30_000, 'stored');
    expect(await cases('gas-spikes')).toEqual([]);
    await publish({ lel: 9.1, ts: T + 3000 });
    await until(async () => (await cases('gas-spikes'))[0], 30_000, 'a spike case from three distinct readings');
  });

  it('a leak in a flush newer than the latest evaluated reading opens a case that says how late it is', async () => {
    clock.advance(3 * H);
    await publish({ lel: 32, ts: T + H });
    const c = await until(async () => (await cases('gas-critical'))[0], 30_000, 'late critical case');
    expect(c.trigger).toMatchObject({ ts: T + H, lateMs: clock.now() - (T + H), values: { lel: 32 } });
    const opened = (await alerts.get(c.id))?.ledger.find((e) => e.action === 'opened');
    expect(opened?.data?.trigger).toMatchObject({ lateMs: 2 * H });
  });
});
