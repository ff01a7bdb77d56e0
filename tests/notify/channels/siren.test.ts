// The siren channel against a real aedes broker over TCP and a real MQTT client as the siren.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIREN_ON, sirenChannel, type CommandSender } from '../../../src/notify/channels/siren.js';
import { waitFor } from '../http-recorder.js';
import { makeMessage } from '../fixtures.js';

let broker: Aedes;
let server: Server;
let siren: MqttClient;
const received: { topic: string; payload: string; qos: number }[] = [];
const online = new Set<string>();

/** A command sender like the hub's: QoS 1 publish on gridwatch/v1/{device}/cmd, refused when the device is offline. */
const commands: CommandSender = {
  send: (device, payload) => new Promise<void>((resolve, reject) => {
    if (!online.has(device)) return reject(new Error(`device ${device} is offline`));
    broker.publish({ cmd: 'publish', topic: `gridwatch/v1/${device}/cmd`, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: false, dup: false }, (err) => (err ? reject(err) : resolve()));
  }),
};

beforeAll(async () => {
  broker = await Aedes.createBroker();
  broker.on('client', (c) => online.add(c.id));
  broker.on('clientDisconnect', (c) => online.delete(c.id));
  server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  siren = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'siren-lty3', reconnectPeriod: 0 });
  siren.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), qos: packet.qos }));
  await siren.subscribeAsync('gridwatch/v1/siren-lty3/cmd', { qos: 1 });
  await waitFor(() => online.has('siren-lty3'));
});

afterAll(async () => {
  await siren.endAsync();
  await new Promise<void>((r) => broker.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
});

describe('siren channel (MQTT downlink)', () => {
  const base = { id: 'sirens', type: 'siren', maxAttempts: 3, minSeverity: 'critical' } as const;

  it('sends {"cmd":"siren","on":true} to each siren', async () => {
    const ch = sirenChannel({ base, devices: ['siren-lty3'] }, commands);
    expect(await ch.send(makeMessage(), new AbortController().signal)).toEqual({ ok: true });
    await waitFor(() => received.length === 1);
    expect(received[0]).toEqual({ topic: 'gridwatch/v1/siren-lty3/cmd', payload: JSON.stringify(SIREN_ON), qos: 1 });
    expect(JSON.parse(received[0]!.payload)).toEqual({ cmd: 'siren', on: true });
  });

  it('an unreachable siren is a retryable failure naming it; the others still get the command', async () => {
    received.length = 0;
    const ch = sirenChannel({ base, devices: ['siren-gone', 'siren-lty3'] }, commands);
    const res = await ch.send(makeMessage(), new AbortController().signal);
    expect(res).toMatchObject({ ok: false, retryable: true });
    expect(res.ok === false && res.error).toContain('siren-gone');
    await waitFor(() => received.length === 1);
  });
});
