// Rate limits and QoS 2 against the real hub, a real influxd and MQTT over TCP: a device over its
// rate is slowed down (its acknowledgements held), never acknowledged-and-dropped; a QoS 2
// PUBLISH re-sent with DUP before PUBREL is ingested once.
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { ManualClock } from '../../src/core/clock.js';
import type { Reading } from '../../src/core/domain.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestDevice, type TestHub } from '../helpers/hub.js';

let influx: TestInflux;
const hubs: TestHub[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
}, 60_000);

afterAll(async () => {
  for (const h of hubs) await h.close();
  await influx?.cleanup();
}, 60_000);

async function hub(devices: TestDevice[], database: string, mqtt: Record<string, unknown>, clock?: ManualClock): Promise<TestHub> {
  const t = await startTestHub({ influxUrl: influx.url, devices, database, clock, overrides: { influx: { url: influx.url, database, flushMs: 20 }, mqtt: { port: 0, host: '127.0.0.1', ...mqtt } } });
  hubs.push(t);
  return t;
}

async function count(db: string, measurement: string, device: string): Promise<number> {
  const s = await influx.query(`SELECT count(*) FROM ${measurement} WHERE device = '${device}'`, db);
  return Number(s[0]?.values[0]?.[1] ?? 0);
}

describe('rate limits slow a device down', () => {
  it('a device flushing 200 buffered readings as fast as it can, one QoS 1 message each, gets all 200 stored', async () => {
    const devices: TestDevice[] = [{ id: 'gas-flush-all', kind: 'gas' }, { id: 'gas-flush-seq', kind: 'gas' }];
    const t = await hub(devices, 'flush', { ratePerSecond: 50, rateBurst: 20 });
    const base = Date.now() - 3_600_000;
    const errors: string[] = [];
    const flush = async (id: string, oneByOne: boolean): Promise<void> => {
      const c = await t.connect(id);
      c.on('message', (_topic, payload) => errors.push(payload.toString()));
      await c.subscribeAsync(`gridwatch/v1/${id}/error`, { qos: 1 });
      const send = (seq: number): Promise<unknown> => c.publishAsync(`gridwatch/v1/${id}/reading`, JSON.stringify({ lel: seq % 7, seq, ts: base + seq * 1000 }), { qos: 1 });
      if (oneByOne) for (let seq = 0; seq < 200; seq++) await send(seq); // Paho style: wait for each PUBACK
      else await Promise.all(Array.from({ length: 200 }, (_, seq) => send(seq))); // a large inflight window
    };
    await Promise.all([flush('gas-flush-all', false), flush('gas-flush-seq', true)]);
    for (const d of devices) expect(await until(async () => ((await count('flush', 'gas', d.id)) >= 200 ? count('flush', 'gas', d.id) : undefined), 20_000, `200 points of ${d.id}`)).toBe(200);
    expect(errors).toEqual([]);
  }, 120_000);

  it('a batch counts as its readings: over the rate, its PUBACK waits until the device has paid back its debt', async () => {
    const clock = new ManualClock(Date.now());
    const devices: TestDevice[] = [{ id: 'gas-batcher', kind: 'gas' }, { id: 'gas-bystander', kind: 'gas' }];
    const t = await hub(devices, 'batch', { ratePerSecond: 10, rateBurst: 100 }, clock);
    const seen: Reading[] = [];
    t.hub.ctx.bus.on('reading', (r) => seen.push(r));
    const c = await t.connect('gas-batcher');
    const base = clock.now() - 600_000;
    let acked = false;
    const batch = Array.from({ length: 300 }, (_, seq) => ({ lel: 1, seq, ts: base + seq }));
    const pub = c.publishAsync('gridwatch/v1/gas-batcher/reading', JSON.stringify(batch), { qos: 1 }).then(() => {
      acked = true;
    });
    // acted on and stored at once ...
    await until(() => seen.length >= 300 || undefined, 10_000, 'the batch on the bus');
    await until(async () => (await count('batch', 'gas', 'gas-batcher')) >= 300 || undefined, 20_000, 'the batch stored');
    // ... a full round trip of another device through the hub later, still not acknowledged: 200 readings over
    const other = await t.connect('gas-bystander');
    await other.publishAsync('gridwatch/v1/gas-bystander/reading', JSON.stringify({ lel: 1 }), { qos: 1 });
    expect(acked).toBe(false);
    clock.advance(19_000); // 190 of 200 paid back
    await other.publishAsync('gridwatch/v1/gas-bystander/reading', JSON.stringify({ lel: 2 }), { qos: 1 });
    expect(acked).toBe(false);
    clock.advance(1_000);
    await pub;
    expect(acked).toBe(true);
  }, 60_000);
});

/** A raw MQTT 3.1.1 connection: writes packets as given (DUP and all) and collects what comes back. */
async function rawClient(port: number, id: string, password: string): Promise<{ send(p: Packet): void; received: Packet[]; close(): void }> {
  const socket: Socket = tcpConnect(port, '127.0.0.1');
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const received: Packet[] = [];
  parser.on('packet', (p: Packet) => received.push(p));
  socket.on('data', (d: Buffer) => parser.parse(d));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const send = (p: Packet): void => {
    socket.write(mqttPacket.generate(p));
  };
  send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: id, username: id, password: Buffer.from(password), keepalive: 60 });
  await until(() => received.some((p) => p.cmd === 'connack') || undefined, 10_000, 'CONNACK');
  return { send, received, close: () => socket.destroy() };
}

describe('QoS 2 exactly once', () => {
  it('a QoS 2 PUBLISH re-sent with DUP before PUBREL is stored and announced once; the id reused afterwards is a new message', async () => {
    const devices: TestDevice[] = [{ id: 'water-q2', kind: 'water' }];
    const t = await hub(devices, 'qos2', {});
    const seen: Reading[] = [];
    t.hub.ctx.bus.on('reading', (r) => seen.push(r));
    const raw = await rawClient(t.hub.mqttPort, 'water-q2', t.secrets.get('water-q2') as string);
    const topic = 'gridwatch/v1/water-q2/reading';
    const publish = (dup: boolean, level: number): void => raw.send({ cmd: 'publish', qos: 2, dup, retain: false, messageId: 7, topic, payload: Buffer.from(JSON.stringify({ leak: true, level_mm: level })) });
    publish(false, 40);
    publish(true, 40); // the same message again: the first PUBREC was "lost"
    await until(() => raw.received.filter((p) => p.cmd === 'pubrec').length >= 2 || undefined, 10_000, 'two PUBRECs');
    publish(true, 40); // and once more, still before PUBREL
    await until(() => raw.received.filter((p) => p.cmd === 'pubrec').length >= 3 || undefined, 10_000, 'three PUBRECs');
    raw.send({ cmd: 'pubrel', messageId: 7 });
    await until(() => raw.received.some((p) => p.cmd === 'pubcomp') || undefined, 10_000, 'PUBCOMP');
    publish(false, 41); // id 7 reused after PUBCOMP: a new message
    await until(() => raw.received.filter((p) => p.cmd === 'pubrec').length >= 4 || undefined, 10_000, 'the fourth PUBREC');
    raw.send({ cmd: 'pubrel', messageId: 7 });
    await until(() => raw.received.filter((p) => p.cmd === 'pubcomp').length >= 2 || undefined, 10_000, 'the second PUBCOMP');
    raw.close();
    const stored = await until(async () => {
      const s = await influx.query("SELECT level_mm FROM water WHERE device = 'water-q2'", 'qos2');
      const v = (s[0]?.values ?? []).map((r) => r[1]);
      return v.length >= 2 ? v : undefined;
    }, 20_000, 'two points');
    expect(stored).toEqual([40, 41]);
    expect(seen.map((r) => r.values.level_mm)).toEqual([40, 41]);
  }, 60_000);
});
