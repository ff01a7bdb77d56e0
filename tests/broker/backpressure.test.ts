import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aedes } from 'aedes';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until } from '../helpers/hub.js';
import { startProxy, type TestProxy } from '../store/http-proxy.js';

const NO_RATE_LIMIT = { port: 0, host: '127.0.0.1', ratePerSecond: 100_000, rateBurst: 100_000 };

/** aedes' connected clients and whether each is paused (runtime fields, not in its typings). */
function pausedFlags(aedes: Aedes): boolean[] {
  const clients = (aedes as unknown as { clients: Record<string, { _paused?: boolean }> }).clients;
  return Object.values(clients).map((c) => c._paused === true);
}

describe('backpressure: InfluxDB slower than the devices', () => {
  let influx: TestInflux;
  let proxy: TestProxy;
  beforeAll(async () => {
    influx = await startTestInflux();
    proxy = await startProxy(influx.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await influx?.cleanup();
  });

  it('a QoS 0 flood against a slow InfluxDB pauses every device socket while the writer is saturated, then stores everything, nothing spooled', async () => {
    // batchSize 5: the writer is saturated past 50 points waiting in memory
    const t = await startTestHub({
      influxUrl: proxy.url, database: 'pressure', devices: [{ id: 'noise-p1', kind: 'noise' }, { id: 'noise-p2', kind: 'noise' }],
      overrides: { influx: { url: proxy.url, database: 'pressure', batchSize: 5, timeoutMs: 60_000 }, mqtt: NO_RATE_LIMIT },
    });
    try {
      const flooder = await t.connect('noise-p1');
      const bystander = await t.connect('noise-p2');
      const writer = t.hub.ctx.store.writer as unknown as { stats(): { saturated: boolean; pendingPoints: number; pointsSpooled: number; spooling: boolean } };
      await until(() => writer.stats().pendingPoints === 0 || undefined, 30_000, 'the connect points written');
      proxy.mode = 'slow';
      const N = 300;
      const base = Date.now() - 60_000;
      for (let seq = 1; seq <= N; seq++) {
        flooder.publish('gridwatch/v1/noise-p1/reading', JSON.stringify({ laeq: 40 + (seq % 10), seq, ts: base + seq }), { qos: 0 });
      }
      await until(() => writer.stats().saturated || undefined, 30_000, 'the writer to be saturated');
      // InfluxDB answers /ping, so this is load, not an outage: the hub stops reading devices instead of spooling
      await until(() => (pausedFlags(t.hub.broker.aedes).length === 2 && pausedFlags(t.hub.broker.aedes).every(Boolean)) || undefined, 10_000, 'every client paused');
      expect(writer.stats()).toMatchObject({ spooling: false, pointsSpooled: 0 });

      proxy.mode = 'pass';
      proxy.releaseSlow();
      const stored = await until(async () => {
        const s = await influx.query("SELECT count(laeq) FROM noise WHERE device = 'noise-p1'", 'pressure');
        const n = (s[0]?.values[0]?.[1] as number | undefined) ?? 0;
        return n >= N ? n : undefined;
      }, 60_000, 'every flooded reading stored');
      expect(stored).toBe(N);
      expect(pausedFlags(t.hub.broker.aedes)).toEqual([false, false]);
      expect(writer.stats()).toMatchObject({ saturated: false, spooling: false, pointsSpooled: 0 });
      // the bystander's socket is read again: its QoS 1 reading is acknowledged and stored
      await bystander.publishAsync('gridwatch/v1/noise-p2/reading', JSON.stringify({ laeq: 50, seq: 1 }), { qos: 1 });
      const rows = await influx.query("SELECT laeq FROM noise WHERE device = 'noise-p2'", 'pressure');
      expect(rows[0]?.values).toHaveLength(1);
    } finally {
      proxy.mode = 'pass';
      proxy.releaseSlow();
      await t.close();
    }
  }, 120_000);

  it('QoS 0 readings are acted on and the device read on while the store still holds the ones before (no PUBACK to hold)', async () => {
    const t = await startTestHub({
      influxUrl: proxy.url, database: 'qos0', devices: [{ id: 'noise-q0', kind: 'noise' }],
      overrides: { influx: { url: proxy.url, database: 'qos0', timeoutMs: 60_000 }, mqtt: NO_RATE_LIMIT },
    });
    const seen: number[] = [];
    t.hub.ctx.bus.on('reading', (r) => {
      if (r.seq !== undefined) seen.push(r.seq);
    });
    try {
      const device = await t.connect('noise-q0');
      const writer = t.hub.ctx.store.writer as unknown as { stats(): { pendingPoints: number } };
      await until(() => writer.stats().pendingPoints === 0 || undefined, 30_000, 'the connect point written');
      proxy.mode = 'slow';
      const base = Date.now() - 60_000;
      // two in one tick: mqtt.js writes them as one chunk, which aedes reads as one batch
      device.publish('gridwatch/v1/noise-q0/reading', JSON.stringify({ laeq: 41, seq: 1, ts: base + 1 }), { qos: 0 });
      device.publish('gridwatch/v1/noise-q0/reading', JSON.stringify({ laeq: 41, seq: 2, ts: base + 2 }), { qos: 0 });
      await until(() => (seen.includes(2) && proxy.held > 0) || undefined, 10_000, 'the first readings on the bus, their POST held');
      // they are not durable yet; the hub must still read and act on the next one
      device.publish('gridwatch/v1/noise-q0/reading', JSON.stringify({ laeq: 42, seq: 3, ts: base + 3 }), { qos: 0 });
      await until(() => seen.includes(3) || undefined, 10_000, 'the next reading on the bus while the first are held');
      proxy.mode = 'pass';
      proxy.releaseSlow();
      const stored = await until(async () => {
        const s = await influx.query("SELECT count(laeq) FROM noise WHERE device = 'noise-q0'", 'qos0');
        const n = (s[0]?.values[0]?.[1] as number | undefined) ?? 0;
        return n >= 3 ? n : undefined;
      }, 30_000, 'all three readings stored');
      expect(stored).toBe(3);
    } finally {
      proxy.mode = 'pass';
      proxy.releaseSlow();
      await t.close();
    }
  }, 60_000);
});
