// aedes' publish fan-out ends for what a device publishes for the hub alone (src/broker/fan-out.ts):
// against the real hub, a real influxd and MQTT over TCP, no client ever receives a device's
// readings, status or events; aedes' publish still runs for what can be received or is kept (a
// retained status, a Last Will, cmd/ack, the hub's own error answers and commands); a retained
// reading is not kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, PublishPacket } from 'aedes';
import type { MqttClient } from 'mqtt';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';

let influx: TestInflux;
let t: TestHub;

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url,
    devices: [{ id: 'water-f1', kind: 'water' }, { id: 'water-f2', kind: 'water' }, { id: 'water-f3', kind: 'water' }],
    overrides: { mqtt: { port: 0, host: '127.0.0.1', commandAckMs: 60_000 } },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

/** The SUBACK's granted codes (mqtt.js rejects a SUBSCRIBE with any refused topic; the SUBACK rides on the error). */
function granted(c: MqttClient, topics: string[]): Promise<number[] | undefined> {
  return c.subscribeAsync(topics, { qos: 1 }).then((g) => g.map((s) => s.qos), (e: { packet?: { granted?: number[] } }) => e.packet?.granted);
}

async function levels(device: string): Promise<number[]> {
  const s = await influx.query(`SELECT level_mm FROM water WHERE device = '${device}'`, 'gridwatch');
  return (s[0]?.values ?? []).map((v) => v[1] as number);
}

function received(c: MqttClient): string[] {
  const got: string[] = [];
  c.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
  return got;
}

/** The retained messages aedes keeps under `pattern` (its persistence, memory in single mode). */
async function retained(pattern: string): Promise<string[]> {
  const persistence = (t.hub.broker.aedes as unknown as { persistence: { createRetainedStream(p: string): AsyncIterable<PublishPacket> } }).persistence;
  const found: string[] = [];
  for await (const p of persistence.createRetainedStream(pattern)) found.push(`${p.topic} ${p.payload.toString()}`);
  return found;
}

describe("a device's readings, status and events reach the hub and no one else", () => {
  it('its own and another device\'s subscriptions to them are refused, and nothing but cmd and error answers arrives', async () => {
    const device = await t.connect('water-f1');
    const other = await t.connect('water-f2');
    const onDevice = received(device);
    const onOther = received(other);
    const own = ['reading', 'status', 'event'].map((s) => `gridwatch/v1/water-f1/${s}`);
    expect(await granted(device, own)).toEqual([128, 128, 128]);
    expect(await granted(other, [...own, 'gridwatch/v1/+/reading', 'gridwatch/v1/water-f1/#', '#'])).toEqual([128, 128, 128, 128, 128, 128]);

    await device.publishAsync('gridwatch/v1/water-f1/status', 'online', { qos: 1, retain: true });
    for (const qos of [0, 1, 2] as const) await device.publishAsync(own[0] ?? '', JSON.stringify({ leak: false, level_mm: qos, seq: qos }), { qos });
    await device.publishAsync(own[0] ?? '', JSON.stringify({ leak: false, level_mm: 3, seq: 3 }), { qos: 1, retain: true });
    await device.publishAsync('gridwatch/v1/water-f1/event', JSON.stringify({ type: 'test' }), { qos: 1 });
    await until(async () => (await levels('water-f1')).length === 4 || undefined, 15_000, 'the four readings stored');

    // a client subscribing after the retained status was published gets no retained message either
    const late = await t.connect('water-f3');
    const onLate = received(late);
    expect(await granted(late, own)).toEqual([128, 128, 128]);

    // what may be received still arrives, after everything above: a command and an error answer
    await device.subscribeAsync('gridwatch/v1/water-f1/cmd', { qos: 1 });
    void t.hub.broker.send('water-f1', { cmd: 'siren', on: true }).catch(() => undefined);
    for (const c of [other, late]) {
      const id = c === other ? 'water-f2' : 'water-f3';
      await c.subscribeAsync(`gridwatch/v1/${id}/error`, { qos: 1 });
      await c.publishAsync(`gridwatch/v1/${id}/reading`, '{"leak":"maybe"}', { qos: 1 });
    }
    await until(() => onDevice.length > 0 && onOther.length > 0 && onLate.length > 0, 15_000, 'the command and the error answers');
    expect(onDevice.map((m) => m.split(' ')[0])).toEqual(['gridwatch/v1/water-f1/cmd']);
    expect(onOther.map((m) => m.split(' ')[0])).toEqual(['gridwatch/v1/water-f2/error']);
    expect(onLate.map((m) => m.split(' ')[0])).toEqual(['gridwatch/v1/water-f3/error']);
    for (const c of [device, other, late]) await c.endAsync();
  }, 60_000);

  it("aedes' publish runs for a retained status, a Last Will, cmd/ack and the hub's answers, not for readings, events or a plain status", async () => {
    const published: string[] = [];
    const onPublish = (packet: PublishPacket, client: Client | null): void => {
      if (packet.topic.startsWith('gridwatch/v1/water-f3/')) published.push(`${packet.topic.slice('gridwatch/v1/water-f3/'.length)} ${client ? 'device' : 'hub'} ${packet.payload.toString()}`);
    };
    t.hub.broker.aedes.on('publish', onPublish);
    try {
      const will = { topic: 'gridwatch/v1/water-f3/status', payload: Buffer.from('offline'), qos: 1 as const, retain: true };
      const device = await t.connect('water-f3', { will });
      await device.subscribeAsync('gridwatch/v1/water-f3/error', { qos: 1 });
      await device.publishAsync('gridwatch/v1/water-f3/status', 'online', { qos: 1, retain: true });
      for (const qos of [0, 1, 2] as const) await device.publishAsync('gridwatch/v1/water-f3/reading', JSON.stringify({ leak: false, level_mm: 10 + qos, seq: 10 + qos }), { qos });
      await device.publishAsync('gridwatch/v1/water-f3/reading', JSON.stringify({ leak: false, level_mm: 13, seq: 13 }), { qos: 1, retain: true });
      await device.publishAsync('gridwatch/v1/water-f3/event', JSON.stringify({ type: 'button' }), { qos: 1 });
      await device.publishAsync('gridwatch/v1/water-f3/status', 'online', { qos: 1 }); // not retained
      await until(async () => (await levels('water-f3')).filter((l) => l >= 10).length === 4 || undefined, 15_000, 'the readings stored');
      await device.publishAsync('gridwatch/v1/water-f3/reading', '{"leak":"maybe"}', { qos: 1 }); // answered on error
      await device.publishAsync('gridwatch/v1/water-f3/cmd/ack', JSON.stringify({ id: 'no-such-command', ok: true }), { qos: 1 });
      await until(() => published.some((p) => p.startsWith('cmd/ack')), 15_000, 'the cmd/ack through aedes');
      device.stream.destroy(); // no DISCONNECT: the Last Will is published
      await until(() => published.some((p) => p.endsWith('offline')), 15_000, 'the Last Will through aedes');

      expect(published.filter((p) => !p.startsWith('error'))).toEqual([
        'status device online',
        `cmd/ack device ${JSON.stringify({ id: 'no-such-command', ok: true })}`,
        'status device offline',
      ]);
      expect(published.filter((p) => p.startsWith('error hub'))).toHaveLength(1);
      // the retained status is kept (the Last Will replaced `online`), the retained reading is not
      expect(await retained('gridwatch/v1/water-f3/#')).toEqual(['gridwatch/v1/water-f3/status offline']);
    } finally {
      t.hub.broker.aedes.off('publish', onPublish);
    }
  }, 60_000);
});
