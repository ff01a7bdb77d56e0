import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import type { PresenceEvent } from '../../src/core/domain.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';

let influx: TestInflux;
let t: TestHub;
const events: PresenceEvent[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({ influxUrl: influx.url, devices: [{ id: 'smoke-p1', kind: 'smoke' }, { id: 'water-p2', kind: 'water', building: 'b2' }] });
  t.hub.ctx.bus.on('presence', (ev) => events.push(ev));
}, 60_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

const will = (device: string) => ({ topic: `gridwatch/v1/${device}/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: true });

async function presenceRows(device: string): Promise<[boolean, string][]> {
  const rows = await influx.query(`SELECT online, cause, grid FROM presence WHERE device = '${device}'`, 'gridwatch');
  return (rows[0]?.values ?? []).map((v) => [v[1] as boolean, v[2] as string]);
}

/** A raw MQTT 3.1.1 CONNECT with the given keep-alive, then silence (no PINGREQ). */
function silentConnect(port: number, device: string, password: string, keepaliveS: number): Promise<Socket> {
  const str = (s: string): Buffer => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const ka = Buffer.alloc(2);
  ka.writeUInt16BE(keepaliveS);
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2]), ka, str(device), str(device), str(password)]);
  const lengthBytes: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    lengthBytes.push(byte);
  } while (n > 0);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from([0x10, ...lengthBytes]), body])));
    socket.once('data', (d) => (d[0] === 0x20 && d[3] === 0 ? resolve(socket) : reject(new Error(`CONNACK ${d.toString('hex')}`))));
    socket.once('error', reject);
  });
}

describe('presence', () => {
  it('connect, Last Will (dropped connection), clean disconnect and keep-alive timeout give the right causes, one point each', async () => {
    const device = 'smoke-p1';
    // 1. connect, publish retained online, then drop the TCP connection: the Last Will fires
    const c1 = await t.connect(device, { will: will(device) });
    await c1.publishAsync(`gridwatch/v1/${device}/status`, 'online', { qos: 1, retain: true });
    c1.stream.destroy();
    await until(async () => (await presenceRows(device)).length === 2, 30_000, 'lwt');
    // 2. connect again and disconnect cleanly
    const c2 = await t.connect(device, { will: will(device) });
    await c2.endAsync();
    await until(async () => (await presenceRows(device)).length === 4, 30_000, 'disconnect');
    // 3. a connection that goes silent past 1.5 x its keep-alive
    const socket = await silentConnect(t.hub.mqttPort, device, t.secrets.get(device) ?? '', 1);
    await until(async () => (await presenceRows(device)).length === 6, 30_000, 'timeout');
    socket.destroy();
    expect(await presenceRows(device)).toEqual([
      [true, 'connect'], [false, 'lwt'],
      [true, 'connect'], [false, 'disconnect'],
      [true, 'connect'], [false, 'timeout'],
    ]);
    expect(events.filter((e) => e.device === device).map((e) => `${e.online}:${e.cause}`)).toEqual(['true:connect', 'false:lwt', 'true:connect', 'false:disconnect', 'true:connect', 'false:timeout']);
  }, 60_000);

  it('tags presence with the device placement from the registry', async () => {
    const c = await t.connect('water-p2');
    await until(async () => (await presenceRows('water-p2')).length === 1, 30_000, 'connect point');
    const rows = await influx.query("SELECT online, community, grid, building, street FROM presence WHERE device = 'water-p2'", 'gridwatch');
    expect(rows[0]?.values[0]?.slice(1)).toEqual([true, 'lty', 'g2', 'b2', 'liulin']);
    await c.endAsync();
  });
});

describe('presence across a hub shutdown', () => {
  it('closing the hub records no offline point for the devices still connected (the hub is down, not the device)', async () => {
    const db = 'gw_shutdown';
    const own = await startTestHub({ influxUrl: influx.url, database: db, devices: [{ id: 'gas-s1', kind: 'gas' }] });
    const seen: PresenceEvent[] = [];
    own.hub.ctx.bus.on('presence', (ev) => seen.push(ev));
    const rows = async (): Promise<[boolean, string][]> => {
      const series = await influx.query("SELECT online, cause FROM presence WHERE device = 'gas-s1'", db);
      return (series[0]?.values ?? []).map((v) => [v[1] as boolean, v[2] as string]);
    };
    try {
      const c = await own.connect('gas-s1', { will: will('gas-s1') });
      await c.publishAsync('gridwatch/v1/gas-s1/status', 'online', { qos: 1, retain: true });
      await until(async () => (await rows()).length === 1, 30_000, 'connect point');
      // hub.close() itself (not own.close(), which first drops the test's clients)
      await own.hub.close();
      // close() flushed the writer, and the test influxd outlives the hub: what is there is final
      expect(await rows()).toEqual([[true, 'connect']]);
      expect(seen.map((e) => `${e.online}:${e.cause}`)).toEqual(['true:connect']);
    } finally {
      await own.close();
    }
  }, 60_000);
});
