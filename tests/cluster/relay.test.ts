// In cluster mode a reading reaches the rules only through the stream to the leader, so handing it
// to the stream is part of accepting it: no PUBACK while the stream cannot take it (a hub dying
// after an acknowledgement would otherwise leave a stored reading that no rule ever saw).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

let influx: TestInflux;
let redis: TestRedis;
let postgres: TestPostgres;
let hub: TestHub;

beforeAll(async () => {
  [influx, redis, postgres] = await Promise.all([startTestInflux(), startTestRedis(), startTestPostgres()]);
  hub = await startTestHub({
    influxUrl: influx.url, devices: [{ id: 'gas-r1', kind: 'gas' }],
    overrides: { cluster: { hubId: 'a', redisUrl: redis.url, postgresUrl: postgres.url } },
  });
}, 120_000);

afterAll(async () => {
  await hub?.close();
  await Promise.all([influx?.cleanup(), redis?.cleanup(), postgres?.cleanup()]);
}, 60_000);

describe('the relay to the rules leader gates the PUBACK', () => {
  it('a reading stored while the stream refuses it is not acknowledged; once the stream takes it, it is, and it is on the stream', async () => {
    const r = redis.client();
    // the stream's key holding a string: every XADD answers WRONGTYPE, as a broken stream would
    await r.del('gw:rules');
    await r.set('gw:rules', 'not a stream');
    const device = await hub.connect('gas-r1', { reconnectPeriod: 200 });
    device.on('error', () => undefined);
    let acked = false;
    const ts = Date.now() - 1000;
    const published = device.publishAsync('gridwatch/v1/gas-r1/reading', JSON.stringify({ lel: 12, seq: 1, ts }), { qos: 1 }).then(() => { acked = true; });
    // the store itself goes through: the reading is in InfluxDB...
    await until(async () => rows(await influx.query("SELECT lel FROM gas WHERE device = 'gas-r1'", 'gridwatch')).length > 0 || undefined, 30_000, 'the point in InfluxDB');
    // ...and the hub has tried the stream (the device was refused its PUBACK and disconnected at least once)
    await until(() => device.reconnecting || !device.connected || acked || undefined, 30_000, 'the refused relay');
    expect(acked).toBe(false);
    await r.del('gw:rules');
    await published; // re-sent after reconnecting, relayed, acknowledged
    const entries = await r.xrange('gw:rules', '-', '+');
    const relayed = entries.map(([, f]) => JSON.parse(f[f.indexOf('j') + 1] ?? 'null') as { type: string; reading?: { device: string; seq: number } })
      .filter((e) => e.type === 'reading' && e.reading?.device === 'gas-r1');
    expect(relayed.map((e) => e.reading?.seq)).toContain(1);
    // stored once, on its own point, however many times it was sent
    expect(rows(await influx.query("SELECT lel FROM gas WHERE device = 'gas-r1'", 'gridwatch'))).toHaveLength(1);
  });
});
