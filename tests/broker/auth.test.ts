import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import type { IClientOptions } from 'mqtt';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { connectRefusal, startTestHub, until, type TestHub } from '../helpers/hub.js';

let influx: TestInflux;
let t: TestHub;

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({ influxUrl: influx.url, devices: [{ id: 'gas-a', kind: 'gas' }, { id: 'gas-b', kind: 'gas' }] });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

const refusedWith = (opts: IClientOptions): Promise<number | undefined> => connectRefusal(t.hub.mqttPort, opts);

describe('broker authentication and ACL', () => {
  it('refuses a wrong password (CONNACK 5)', async () => {
    expect(await refusedWith({ clientId: 'gas-a', username: 'gas-a', password: 'wrong' })).toBe(5);
  });

  it('refuses an unknown device like a wrong secret (CONNACK 5: ids cannot be enumerated)', async () => {
    expect(await refusedWith({ clientId: 'gas-zz', username: 'gas-zz', password: 'pw-gas-zz' })).toBe(5);
  });

  it('refuses a client id that is not the device id (CONNACK 2)', async () => {
    expect(await refusedWith({ clientId: 'gas-b', username: 'gas-a', password: t.secrets.get('gas-a') })).toBe(2);
  });

  it('refuses a connection without credentials', async () => {
    expect(await refusedWith({ clientId: 'gas-a' })).toBeGreaterThanOrEqual(2);
  });

  it('closes the connection of a device publishing outside its own prefix', async () => {
    const c = await t.connect('gas-a');
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish('gridwatch/v1/gas-b/reading', JSON.stringify({ lel: 50, seq: 1 }), { qos: 1 });
    await closed;
    expect(c.connected).toBe(false);
  });

  it('refuses subscriptions outside its own cmd/error topics (granted 0x80)', async () => {
    const c = await t.connect('gas-b');
    // mqtt.js rejects a SUBSCRIBE with any refused topic; the SUBACK rides on the error
    const suback = await c.subscribeAsync(['gridwatch/v1/gas-a/cmd', 'gridwatch/v1/#', 'gridwatch/v1/gas-b/reading', 'gridwatch/v1/gas-b/cmd'], { qos: 1 })
      .then(() => undefined, (e: { packet?: { granted?: number[] } }) => e.packet?.granted);
    expect(suback).toEqual([128, 128, 128, 1]);
    const own = await c.subscribeAsync('gridwatch/v1/gas-b/error', { qos: 0 });
    expect(own.map((g) => g.qos)).toEqual([0]);
    await c.endAsync();
  });

  it('wrote no reading to InfluxDB, and presence only for the accepted connections', async () => {
    // the accepted connections' presence points prove the writer ran; refused devices have none
    const presence = await until(async () => {
      const rows = await influx.query('SELECT device, online, cause FROM presence', 'gridwatch');
      const values = rows[0]?.values ?? [];
      return values.length >= 4 ? values : undefined; // gas-a and gas-b: connect + offline each
    }, 30_000, 'presence points');
    expect(new Set(presence.map((v) => v[1]))).toEqual(new Set(['gas-a', 'gas-b']));
    expect(await influx.query('SELECT * FROM gas', 'gridwatch')).toEqual([]);
  });
});
