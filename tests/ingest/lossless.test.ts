// What a device can rely on at ingest, against the real hub, a real influxd and MQTT over TCP:
// a rebooted device's restarted seq is not a duplicate, an exact re-send is; readings without `ts`
// never share an InfluxDB point; anything the store would refuse is refused with a reason.
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { AlertChange } from '../../src/core/alert-types.js';
import type { Reading } from '../../src/core/domain.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestDevice, type TestHub } from '../helpers/hub.js';

const DEVICES: TestDevice[] = [
  { id: 'gas-reboot', kind: 'gas' },
  { id: 'gas-nots', kind: 'gas' },
  { id: 'gas-bad', kind: 'gas' },
  { id: 'water-burst', kind: 'water' },
];
let influx: TestInflux;
let t: TestHub;
const readings: Reading[] = [];
const opened: AlertChange[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({ influxUrl: influx.url, devices: DEVICES, database: 'lossless' });
  t.hub.ctx.bus.on('reading', (r) => readings.push(r));
  t.hub.ctx.bus.on('alert', (c) => {
    if (c.entry.action === 'opened') opened.push(c);
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

async function rowsOf(measurement: string, device: string): Promise<Record<string, unknown>[]> {
  const s = await influx.query(`SELECT * FROM ${measurement} WHERE device = '${device}'`, 'lossless');
  const cols = s[0]?.columns ?? [];
  return (s[0]?.values ?? []).map((v) => Object.fromEntries(cols.map((c, i) => [c, v[i]])));
}

/** A connected device that also collects what the hub answers on its error topic. */
async function device(id: string): Promise<{ c: MqttClient; errors: Record<string, unknown>[] }> {
  const c = await t.connect(id);
  const errors: Record<string, unknown>[] = [];
  c.on('message', (_topic, payload) => errors.push(JSON.parse(payload.toString()) as Record<string, unknown>));
  await c.subscribeAsync(`gridwatch/v1/${id}/error`, { qos: 1 });
  return { c, errors };
}

describe('lossless ingest', () => {
  it('a rebooted device whose seq starts again is stored and alarms; an exact re-send across a reconnect lands once', async () => {
    const id = 'gas-reboot';
    const topic = `gridwatch/v1/${id}/reading`;
    const first = await device(id);
    for (let seq = 1; seq <= 3; seq++) await first.c.publishAsync(topic, JSON.stringify({ lel: 1, seq }), { qos: 1 });
    await first.c.endAsync();
    // reboot: a new connection, seq 1 again, and now a gas leak
    const second = await device(id);
    await second.c.publishAsync(topic, JSON.stringify({ lel: 30, seq: 1 }), { qos: 1 });
    // a QoS 1 re-send of that same reading after a lost PUBACK, on yet another connection
    await second.c.endAsync();
    const third = await device(id);
    await third.c.publishAsync(topic, JSON.stringify({ lel: 30, seq: 1 }), { qos: 1 });
    await third.c.publishAsync(topic, JSON.stringify({ lel: 2, seq: 2 }), { qos: 1 });

    const stored = await until(async () => {
      const r = await rowsOf('gas', id);
      return r.length >= 5 ? r : undefined;
    }, 20_000, 'five gas points');
    expect(stored.map((r) => [r.seq, r.lel])).toEqual([[1, 1], [2, 1], [3, 1], [1, 30], [2, 2]]);
    await until(() => opened.some((c) => c.case.device === id && c.case.rule === 'gas-critical') || undefined, 10_000, 'a gas-critical case');
    expect(readings.filter((r) => r.device === id).map((r) => r.values.lel)).toEqual([1, 1, 1, 30, 2]);
    expect(second.errors).toEqual([]);
  }, 60_000);

  it('a batch without ts and a burst without ts: every reading is its own point', async () => {
    const id = 'gas-nots';
    const { c } = await device(id);
    const topic = `gridwatch/v1/${id}/reading`;
    await c.publishAsync(topic, JSON.stringify([{ lel: 1 }, { lel: 2 }, { lel: 3 }]), { qos: 1 });
    // a burst of QoS 0 singles: several arrive in the same millisecond
    for (let i = 0; i < 40; i++) c.publish(topic, JSON.stringify({ lel: 10 + i }), { qos: 0 });
    await c.publishAsync(topic, JSON.stringify({ lel: 99 }), { qos: 1 });
    await until(() => readings.some((r) => r.device === id && r.values.lel === 99) || undefined, 10_000, 'the last reading');
    const stored = await until(async () => {
      const r = await rowsOf('gas', id);
      return r.length >= 44 ? r : undefined;
    }, 20_000, '44 gas points').catch(async (e: unknown) => {
      throw new Error(`${String(e)}: have ${(await rowsOf('gas', id)).length}`);
    });
    expect(stored.map((r) => r.lel).sort((a, b) => Number(a) - Number(b))).toEqual([1, 2, 3, ...Array.from({ length: 40 }, (_, i) => 10 + i), 99]);
  }, 60_000);

  it('seq and ts the store cannot keep are refused with a reason, not stored and not evaluated', async () => {
    const id = 'gas-bad';
    const { c, errors } = await device(id);
    const topic = `gridwatch/v1/${id}/reading`;
    const bad = ['{"lel":30,"seq":1e19}', '{"lel":30,"seq":9007199254740993}', '{"lel":30,"ts":0}', '{"lel":30,"ts":1000}', '{"lel":30,"seq":-1}'];
    for (const p of bad) await c.publishAsync(topic, p, { qos: 1 });
    await c.publishAsync(topic, JSON.stringify({ lel: 3, seq: 7 }), { qos: 1 });
    await until(() => errors.length >= bad.length || undefined, 10_000, 'an error answer per bad reading');
    expect(errors.map((e) => [e.code, e.field])).toEqual([
      ['GW_ERR_PAYLOAD_FIELD', 'seq'], ['GW_ERR_PAYLOAD_FIELD', 'seq'], ['GW_ERR_PAYLOAD_FIELD', 'ts'], ['GW_ERR_PAYLOAD_FIELD', 'ts'], ['GW_ERR_PAYLOAD_FIELD', 'seq'],
    ]);
    const stored = await until(async () => {
      const r = await rowsOf('gas', id);
      return r.length >= 1 ? r : undefined;
    }, 10_000, 'the good reading');
    expect(stored.map((r) => r.seq)).toEqual([7]);
    expect(readings.filter((r) => r.device === id).map((r) => r.seq)).toEqual([7]);
    expect(opened.filter((o) => o.case.device === id)).toEqual([]);
  }, 60_000);
});
