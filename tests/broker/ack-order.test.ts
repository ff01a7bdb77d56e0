// PUBACK order across the paths that acknowledge without storing, against the real hub, a real
// influxd and a raw TCP socket: a payload over maxPacketBytes is answered on the error topic, not
// stored, and its PUBACK still waits for every earlier PUBLISH's ([MQTT-4.6.0-2], acks.ts).
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';

let influx: TestInflux;
let t: TestHub;

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url,
    devices: [{ id: 'water-order', kind: 'water' }],
    database: 'order',
    overrides: { mqtt: { port: 0, host: '127.0.0.1', maxPacketBytes: 1024 } },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

describe('PUBACK order with oversized payloads', () => {
  it('acknowledges an oversized QoS 1 PUBLISH after the stored one before it, answers it on the error topic and stores nothing of it', async () => {
    const device = 'water-order';
    const socket = tcpConnect(t.hub.mqttPort, '127.0.0.1');
    socket.setNoDelay(true);
    const packets: Packet[] = [];
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => packets.push(p));
    socket.on('data', (d: Buffer) => parser.parse(d));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: device, username: device, password: Buffer.from(t.secrets.get(device) ?? ''), keepalive: 60 }));
    await until(() => packets.find((p) => p.cmd === 'connack'), 10_000, 'CONNACK');
    socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 100, subscriptions: [{ topic: `gridwatch/v1/${device}/error`, qos: 0 }] }));
    await until(() => packets.find((p) => p.cmd === 'suback'), 10_000, 'SUBACK');
    packets.length = 0;

    // stored, oversized, stored, oversized: one write, so one socket read brings them all
    const topic = `gridwatch/v1/${device}/reading`;
    const big = JSON.stringify({ leak: false, level_mm: 9, seq: 9, note: 'x'.repeat(2000) });
    const sent = [
      { messageId: 1, payload: JSON.stringify({ leak: false, level_mm: 1, seq: 1 }) },
      { messageId: 2, payload: big },
      { messageId: 3, payload: JSON.stringify({ leak: false, level_mm: 3, seq: 3 }) },
      { messageId: 4, payload: big },
    ];
    socket.write(Buffer.concat(sent.map((m) => mqttPacket.generate({ cmd: 'publish', topic, qos: 1, messageId: m.messageId, dup: false, retain: false, payload: Buffer.from(m.payload) }))));

    const pubacks = (): number[] => packets.flatMap((p) => (p.cmd === 'puback' ? [p.messageId ?? -1] : []));
    await until(() => pubacks().length >= sent.length || undefined, 20_000, 'the PUBACKs');
    expect(pubacks()).toEqual([1, 2, 3, 4]);

    const answers = await until(() => {
      const a = packets.flatMap((p) => (p.cmd === 'publish' && p.topic === `gridwatch/v1/${device}/error` ? [JSON.parse(p.payload.toString()) as Record<string, unknown>] : []));
      return a.length >= 2 ? a : undefined;
    }, 10_000, 'the error answers');
    expect(answers.map((a) => a.code)).toEqual(['GW_ERR_PAYLOAD_TOO_LARGE', 'GW_ERR_PAYLOAD_TOO_LARGE']);

    const stored = (await influx.query(`SELECT level_mm FROM water WHERE device = '${device}'`, 'order'))[0]?.values ?? [];
    expect(stored.map((r) => r[1])).toEqual([1, 3]);
    socket.destroy();
  }, 60_000);
});
