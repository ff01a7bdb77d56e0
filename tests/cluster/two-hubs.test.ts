// Two real hubs in cluster mode on one Redis, one PostgreSQL and one InfluxDB: each takes devices
// and stores what it acknowledges in the shared InfluxDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../helpers/influxd.js';
import { until } from '../helpers/hub.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

describe('two hubs in cluster mode', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ devices: [{ id: 'gas-0001', kind: 'gas' }, { id: 'gas-0002', kind: 'gas' }] });
  }, 180_000);
  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('both start in cluster mode and store what each acknowledges in the one InfluxDB', async () => {
    for (const h of cluster.hubs) {
      expect(h.log()).toContain(`"hubId":"${h.id}"`);
      expect(h.log()).not.toMatch(/redis:\/\/[^"]*@/); // no credentials in the log
    }
    const [a, b] = cluster.hubs;
    const ca = await cluster.connect('gas-0001', a?.mqttPort ?? 0);
    const cb = await cluster.connect('gas-0002', b?.mqttPort ?? 0);
    const ts = Date.now() - 1000;
    await ca.publishAsync('gridwatch/v1/gas-0001/reading', JSON.stringify({ lel: 1, seq: 1, ts }), { qos: 1 });
    await cb.publishAsync('gridwatch/v1/gas-0002/reading', JSON.stringify({ lel: 2, seq: 1, ts }), { qos: 1 });
    const stored = await until(async () => {
      const r = rows(await cluster.influx.query('SELECT "lel", "device" FROM "gas"', 'gridwatch'));
      return r.length >= 2 ? r : undefined;
    }, 30_000, 'both readings in InfluxDB');
    expect(stored.map((r) => [r.device, r.lel]).sort()).toEqual([['gas-0001', 1], ['gas-0002', 2]]);
  });
});
