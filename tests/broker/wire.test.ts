// The MQTT bytes themselves, against the real hub, a real influxd and a raw TCP socket: the
// parser aedes uses (mqtt-packet over bl, patched in patches/: numbers and strings read in place
// within the first buffered chunk) and its acknowledgement writer (patched: a PUBACK is one 4-byte
// write). Packets split anywhere across socket reads must parse exactly as whole ones do, and every
// PUBACK must carry its own packet id, in the order of the PUBLISHes.
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import mqttPacket from 'mqtt-packet';
import type { Reading } from '../../src/core/domain.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';

let influx: TestInflux;
let t: TestHub;

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({ influxUrl: influx.url, devices: [{ id: 'water-wire', kind: 'water' }], database: 'wire' });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

// packet ids on both sides of each byte boundary, so a swapped or truncated id shows
const IDS = [1, 2, 127, 128, 255, 256, 257, 0x1234, 0x7fff, 0x8000, 0xff00, 0xfffe, 0xffff];

describe('MQTT packets split across socket reads', () => {
  it('are each ingested once with their whole payload, and each QoS 1 one is acknowledged in order by a 4-byte PUBACK with its own id', async () => {
    const topic = 'gridwatch/v1/water-wire/reading';
    const messages = Array.from({ length: 60 }, (_, i) => ({
      qos: (i % 3 === 2 ? 0 : 1) as 0 | 1,
      messageId: IDS[i % IDS.length] as number,
      // payloads of different lengths (one is past 127 bytes: a two-byte remaining length)
      payload: JSON.stringify({ leak: false, level_mm: i, seq: i, ...(i % 5 === 0 ? { note: 'x'.repeat(150) } : {}) }),
    }));
    const seen: Reading[] = [];
    t.hub.ctx.bus.on('reading', (r) => seen.push(r));

    const socket = tcpConnect(t.hub.mqttPort, '127.0.0.1');
    socket.setNoDelay(true);
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'water-wire', username: 'water-wire', password: Buffer.from(t.secrets.get('water-wire') ?? ''), keepalive: 60 }));
    await until(() => Buffer.concat(received).length >= 4 || undefined, 10_000, 'CONNACK');
    expect([...Buffer.concat(received)]).toEqual([0x20, 2, 0, 0]);
    received.length = 0;

    // The whole stream in pieces of 1 to 7 bytes, each written on its own turn of the event loop
    // (the hub runs in this process, so it reads each piece before the next is written): every
    // header, length, topic, packet id and payload is split somewhere.
    const stream = Buffer.concat(messages.map((m) => mqttPacket.generate({ cmd: 'publish', topic, qos: m.qos, messageId: m.qos ? m.messageId : undefined, dup: false, retain: false, payload: Buffer.from(m.payload) })));
    for (let at = 0, n = 0; at < stream.length; at += (n % 7) + 1, n++) {
      socket.write(stream.subarray(at, at + (n % 7) + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }

    // in PUBLISH order ([MQTT-4.6.0-2]), though nearly every message is a batch of its own and the
    // store may land two batches in either order (acks.ts)
    const acked = messages.filter((m) => m.qos === 1);
    const expected = Buffer.concat(acked.map((m) => Buffer.from([0x40, 2, m.messageId >> 8, m.messageId & 0xff])));
    await until(() => Buffer.concat(received).length >= expected.length || undefined, 20_000, 'the PUBACKs');
    expect(Buffer.concat(received).toString('hex')).toBe(expected.toString('hex'));

    expect(seen.map((r) => r.values.level_mm)).toEqual(messages.map((_, i) => i));
    const stored = await until(async () => {
      const s = await influx.query("SELECT level_mm FROM water WHERE device = 'water-wire'", 'wire');
      const v = (s[0]?.values ?? []).map((r) => r[1] as number);
      return v.length >= messages.length ? v : undefined;
    }, 20_000, 'every reading stored');
    expect([...stored].sort((a, b) => a - b)).toEqual(messages.map((_, i) => i));
    socket.destroy();
  }, 60_000);
});
