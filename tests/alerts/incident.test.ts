// One incident per device and hazard, and the close guard, end to end over MQTT (real broker,
// real influxd, real SQLite) on a ManualClock: gas rising from warning to critical raises the SAME
// case; smoke likewise; resolving/closing while the gas still reads high needs an override reason.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertService } from '../../src/core/alert-types.js';
import { ManualClock } from '../../src/core/clock.js';
import { GridwatchError } from '../../src/core/errors.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';

const GAS = 'gas-inc-1';
const SMOKE = 'smoke-inc-1';
let influx: TestInflux;
let t: TestHub;
let gas: MqttClient;
let smoke: MqttClient;
let alerts: AlertService;
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url, devices: [{ id: GAS, kind: 'gas' }, { id: SMOKE, kind: 'smoke' }], clock,
    overrides: { people: [{ id: 'hantao', name: '韩涛', role: 'grid_worker', grids: ['g1'] }] },
  });
  alerts = t.hub.ctx.alerts as AlertService;
  gas = await t.connect(GAS);
  smoke = await t.connect(SMOKE);
}, 120_000);

afterAll(async () => {
  gas?.end(true);
  smoke?.end(true);
  await t?.close();
  await influx?.cleanup();
}, 60_000);

const send = (c: MqttClient, device: string, values: Record<string, unknown>): Promise<unknown> =>
  c.publishAsync(`gridwatch/v1/${device}/reading`, JSON.stringify({ ...values, ts: clock.now() }), { qos: 1 });
const casesOf = (device: string): ReturnType<AlertService['list']> => alerts.list({ device });
const actions = async (id: string): Promise<string[]> => (await alerts.get(id))?.ledger.map((e) => e.action) ?? [];

async function code(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return e instanceof GridwatchError ? e.code : String(e);
  }
  return undefined;
}

describe('one incident per device and hazard', () => {
  it('gas 12 % then 30 % LEL: one case, raised from warning to critical in its ledger, valve closed once', async () => {
    await send(gas, GAS, { lel: 12 });
    const warning = await until(async () => (await casesOf(GAS))[0], 30_000, 'warning case');
    expect(warning).toMatchObject({ severity: 'warning', rule: 'gas-warning', incident: 'gas', state: 'open' });
    await alerts.acknowledge(warning.id, 'hantao');
    clock.advance(30_000);
    await send(gas, GAS, { lel: 30 });
    const raised = await until(async () => (await casesOf(GAS)).find((c) => c.severity === 'critical'), 30_000, 'raised case');
    expect(await casesOf(GAS)).toHaveLength(1);
    expect(raised).toMatchObject({ id: warning.id, rule: 'gas-critical', state: 'open', activeRules: ['gas-warning', 'gas-critical'] });
    expect(raised.acknowledgedBy).toBeUndefined(); // a leak needs acknowledging again
    const entry = (await alerts.get(raised.id))?.ledger.find((e) => e.action === 'severity_raised');
    expect(entry?.data).toMatchObject({ from: 'warning', to: 'critical', rule: 'gas-critical', acknowledgedBefore: 'hantao' });
    expect((await actions(raised.id)).filter((a) => a === 'command_sent')).toHaveLength(1);
    expect(raised.nextEscalation).toMatchObject({ step: 1 });
  });

  it('resolving or closing while the gas still reads high needs an override; the reason is in the ledger', async () => {
    const [c] = await casesOf(GAS);
    if (!c) throw new Error('no case');
    clock.advance(61_000);
    await send(gas, GAS, { lel: 8 }); // critical clears (<= 10) but the warning level (clears <= 5) still holds
    await until(async () => (await actions(c.id)).includes('condition_cleared'), 30_000, 'critical level cleared');
    expect((await alerts.get(c.id))?.case).toMatchObject({ state: 'open', severity: 'critical', activeRules: ['gas-warning'] });
    expect(await code(() => alerts.resolve(c.id, 'hantao'))).toBe('GW_ERR_ALERT_STILL_ACTIVE');
    expect((await alerts.get(c.id))?.case.state).toBe('open');
    const resolved = await alerts.resolve(c.id, 'hantao', undefined, '现场检测无泄漏，传感器需校准');
    expect(resolved.state).toBe('resolved');
    expect((await alerts.get(c.id))?.ledger.at(-1)?.data).toMatchObject({ override: { reason: '现场检测无泄漏，传感器需校准', activeRules: ['gas-warning'] } });
    expect(await code(() => alerts.close(c.id, 'hantao', '已校准'))).toBe('GW_ERR_ALERT_STILL_ACTIVE');
    await send(gas, GAS, { lel: 2 }); // now it clears: closing needs no override
    await until(async () => (await alerts.get(c.id))?.case.activeRules?.length === 0, 30_000, 'condition cleared');
    expect((await alerts.close(c.id, 'hantao', '传感器已校准')).state).toBe('closed');
    expect(await casesOf(GAS)).toHaveLength(1);
  });

  it('smoke building up, then the alarm: one case, raised to critical', async () => {
    await send(smoke, SMOKE, { obscuration: 5, alarm: false });
    await until(async () => (await casesOf(SMOKE))[0], 30_000, 'smoke warning');
    clock.advance(10_000);
    await send(smoke, SMOKE, { obscuration: 9, alarm: true });
    const c = await until(async () => (await casesOf(SMOKE)).find((x) => x.severity === 'critical'), 30_000, 'smoke critical');
    expect(await casesOf(SMOKE)).toHaveLength(1);
    expect(c).toMatchObject({ rule: 'smoke-alarm', incident: 'smoke' });
    expect(await actions(c.id)).toEqual(expect.arrayContaining(['opened', 'severity_raised']));
  });
});
