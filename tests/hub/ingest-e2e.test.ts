import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { KindName } from '../../src/core/domain.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestDevice, type TestHub } from '../helpers/hub.js';

const KINDS: KindName[] = ['smoke', 'gas', 'noise', 'water'];
const DEVICES: TestDevice[] = Array.from({ length: 20 }, (_, i) => {
  const kind = KINDS[i % 4] as KindName;
  return { id: `${kind}-e2e-${String(i).padStart(2, '0')}`, kind, building: i % 2 === 0 ? 'b1' : 'b2' };
});
const BASE_TS = Date.now() - 3_600_000;

/** The values device `i` reports in its reading number `n` (deterministic, so the test can check them). */
function values(kind: KindName, n: number): Record<string, number | boolean | string> {
  switch (kind) {
    case 'smoke': return { alarm: n % 7 === 0, obscuration: (n % 10) / 4 };
    case 'gas': return { lel: n % 3 === 0 ? 0 : n / 10, co_ppm: n, valve: n % 2 === 0 ? 'open' : 'closed' };
    case 'noise': return { laeq: 30 + (n % 40) + 0.5, lmax: 75 + (n % 20), interval_s: 60 };
    case 'water': return { leak: n % 5 === 0, level_mm: n % 5 === 0 ? n : 0 };
  }
}

function reading(d: TestDevice, n: number): Record<string, unknown> {
  return { ...values(d.kind, n), seq: n, ts: BASE_TS + n * 1000, battery: 90 - (n % 50), rssi: -60 - (n % 30) };
}

let influx: TestInflux;
let t: TestHub;
const clients = new Map<string, MqttClient>();

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({ influxUrl: influx.url, devices: DEVICES });
  await Promise.all(DEVICES.map(async (d) => clients.set(d.id, await t.connect(d.id))));
}, 60_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

async function countAll(): Promise<number> {
  const series = await influx.query('SELECT count(seq) FROM smoke, gas, noise, water', 'gridwatch');
  return series.reduce((sum, s) => sum + Number(s.values[0]?.[1] ?? 0), 0);
}

describe('ingest end to end: MQTT -> validation -> InfluxDB', () => {
  it('1,000 readings from 20 devices (QoS 0 and 1, single and batch) all land with tags, fields and timestamps; repeated seqs land once', async () => {
    const readingsSeen: string[] = [];
    t.hub.ctx.bus.on('reading', (r) => readingsSeen.push(`${r.device}:${String(r.seq)}`));
    await Promise.all(DEVICES.map(async (d) => {
      const c = clients.get(d.id) as MqttClient;
      const topic = `gridwatch/v1/${d.id}/reading`;
      // 20 single QoS 1, 10 single QoS 0, one batch of 20 at QoS 1 = 50 per device
      for (let n = 0; n < 20; n++) await c.publishAsync(topic, JSON.stringify(reading(d, n)), { qos: 1 });
      for (let n = 20; n < 30; n++) await c.publishAsync(topic, JSON.stringify(reading(d, n)), { qos: 0 });
      await c.publishAsync(topic, JSON.stringify(Array.from({ length: 20 }, (_, k) => reading(d, 30 + k))), { qos: 1 });
      // duplicates: the same readings again (a re-send after a lost PUBACK); they must not land twice
      await c.publishAsync(topic, JSON.stringify(reading(d, 3)), { qos: 1 });
      await c.publishAsync(topic, JSON.stringify([reading(d, 31)]), { qos: 1 });
    }));
    await until(async () => (await countAll()) >= 1000, 30_000, '1,000 points');
    expect(await countAll()).toBe(1000);
    expect(new Set(readingsSeen).size).toBe(1000);
    expect(readingsSeen).toHaveLength(1000);

    for (const d of DEVICES) {
      const series = await influx.query(`SELECT * FROM ${d.kind} WHERE device = '${d.id}'`, 'gridwatch');
      const s = series[0];
      expect(s?.values).toHaveLength(50);
      const cols = s?.columns ?? [];
      for (const row of s?.values ?? []) {
        const rec = Object.fromEntries(cols.map((c, i) => [c, row[i]]));
        const n = rec.seq as number;
        expect(rec.time).toBe(BASE_TS + n * 1000);
        const building = d.building ?? 'b1';
        expect(rec).toMatchObject({ device: d.id, street: 'liulin', community: 'lty', grid: building === 'b1' ? 'g1' : 'g2', building, battery: 90 - (n % 50), rssi: -60 - (n % 30), ...values(d.kind, n) });
      }
    }
  }, 120_000);

  it('bad payloads are answered on the error topic while the hub keeps serving', async () => {
    const d = DEVICES[1] as TestDevice; // gas
    const c = clients.get(d.id) as MqttClient;
    const answers: Record<string, unknown>[] = [];
    c.on('message', (topic, payload) => {
      if (topic === `gridwatch/v1/${d.id}/error`) answers.push(JSON.parse(payload.toString()) as Record<string, unknown>);
    });
    await c.subscribeAsync(`gridwatch/v1/${d.id}/error`, { qos: 0 });
    const topic = `gridwatch/v1/${d.id}/reading`;
    await c.publishAsync(topic, '{"lel": ', { qos: 1 });
    await c.publishAsync(topic, JSON.stringify({ lel: 180, seq: 500 }), { qos: 1 });
    await c.publishAsync(topic, JSON.stringify([{ lel: 1, seq: 501, ts: BASE_TS + 501_000 }, { lel: 'x', seq: 502 }]), { qos: 1 });
    await c.publishAsync(topic, JSON.stringify(reading(d, 3)), { qos: 1 }); // a re-send of a stored reading
    await c.publishAsync(topic, '[]', { qos: 1 }); // acknowledged, so it must be answered: it stores nothing
    await until(() => answers.length >= 5 || undefined, 15_000, 'five error answers');
    expect(answers.map((a) => a.code)).toEqual(['GW_ERR_PAYLOAD_JSON', 'GW_ERR_PAYLOAD_FIELD', 'GW_ERR_PAYLOAD_FIELD', 'GW_ERR_PAYLOAD_DUPLICATE', 'GW_ERR_PAYLOAD_BATCH_SIZE']);
    expect(answers[4]).toMatchObject({ field: 'payload', value: 0, rule: 'a batch holds 1 to 500 readings' });
    expect(answers[1]).toMatchObject({ field: 'lel', value: 180, rule: 'must be <= 100' });
    expect(answers[2]).toMatchObject({ field: '[1].lel', value: 'x', rule: 'must be number' });
    expect(answers[3]).toMatchObject({ field: 'seq', value: 3 });
    expect(String(answers[1]?.message)).toContain("field 'lel' value 180");
    // still connected and serving: the good element of the batch landed, and a new reading lands
    await c.publishAsync(topic, JSON.stringify({ lel: 4, seq: 503, ts: BASE_TS + 503_000 }), { qos: 1 });
    const rows = await until(async () => {
      const s = await influx.query(`SELECT lel, seq FROM gas WHERE device = '${d.id}' AND seq >= 500`, 'gridwatch');
      return s[0]?.values.length === 2 ? s[0].values : undefined;
    }, 15_000, 'good readings after bad ones');
    expect(rows.map((r) => r[2])).toEqual([501, 503]);
    expect(c.connected).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${t.hub.httpPort}/metrics`)).text();
    // by reason only: /metrics names no device unless metrics.deviceLabels is set
    expect(metrics).toMatch(/gridwatch_ingest_rejected_total\{reason="GW_ERR_PAYLOAD_FIELD"\} 2/);
    expect(metrics).not.toContain(`device="${d.id}"`);
    expect(metrics).toMatch(/gridwatch_devices_connected 20/);
    expect(metrics).toMatch(/gridwatch_store_points_written_total \d+/);
  }, 60_000);

  it('reports health', async () => {
    const res = await fetch(`http://127.0.0.1:${t.hub.httpPort}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, broker: { up: true, connectedDevices: 20 }, influx: { up: true, spooling: false, spoolDepth: 0 } });
  });
});
