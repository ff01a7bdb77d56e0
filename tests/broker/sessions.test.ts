// Persistent sessions on the single-hub broker, against the real hub, a real influxd and MQTT over
// TCP: what aedes queued for a device while it was away (QoS 1 `cmd`) is delivered when it comes
// back with its session, and dropped when it comes back with a clean one. The queue is read at each
// CONNECT (aedes' `emptyQueue`, which the hub's aedes patch reads without a stream pipeline). A
// device connecting again takes over its old connection (single mode: aedes' client ids, not the
// `$SYS` announcements the single-mode broker no longer publishes: fan-out.ts).
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';

let influx: TestInflux;
let t: TestHub;
const clients: MqttClient[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
  // no re-send of an unacknowledged command within a test: what arrives comes from the session's queue
  t = await startTestHub({
    influxUrl: influx.url, devices: [{ id: 'gas-s1', kind: 'gas', valve: true }, { id: 'gas-s2', kind: 'gas', valve: true }, { id: 'gas-s3', kind: 'gas' }],
    overrides: { mqtt: { port: 0, host: '127.0.0.1', commandAckMs: 600_000, commandAttempts: 2 } },
  });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  await t?.close();
  await influx?.cleanup();
}, 60_000);

/** A device's connection, listening from before its CONNECT: queued messages may follow the CONNACK in the same read. */
function connect(device: string, clean: boolean): { client: MqttClient; messages: { topic: string; body: string }[]; ready: Promise<void> } {
  const client = mqtt.connect(`mqtt://127.0.0.1:${t.hub.mqttPort}`, { clientId: device, username: device, password: t.secrets.get(device), clean, reconnectPeriod: 0, connectTimeout: 10_000 });
  clients.push(client);
  const messages: { topic: string; body: string }[] = [];
  client.on('message', (topic, payload) => messages.push({ topic, body: payload.toString() }));
  const ready = new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return { client, messages, ready };
}

/** What aedes holds for the device to deliver (its persistence's outgoing queue; not in aedes' typings). */
async function queued(device: string): Promise<number> {
  const { persistence } = t.hub.broker.aedes as unknown as { persistence: { outgoingStream(client: { id: string }): AsyncIterable<unknown> } };
  let n = 0;
  for await (const _ of persistence.outgoingStream({ id: device })) n++;
  return n;
}

/** Connects with a persistent session subscribed to its `cmd`, leaves cleanly, and has a command queued for it. */
async function awayWithACommand(device: string): Promise<{ sent: Promise<unknown> }> {
  const first = connect(device, false);
  await first.ready;
  await first.client.subscribeAsync(`gridwatch/v1/${device}/cmd`, { qos: 1 });
  await first.client.endAsync();
  const sent = t.hub.broker.send(device, { cmd: 'valve', state: 'closed' }).catch((e: unknown) => e);
  await until(async () => (await queued(device)) === 1, 10_000, `the command queued for ${device}`);
  return { sent }; // (wrapped: an async function returning the promise would wait for it)
}

describe('a device coming back', () => {
  it('with its persistent session gets the command queued while it was away, and its ack settles the command', async () => {
    const { sent } = await awayWithACommand('gas-s1');
    const back = connect('gas-s1', false);
    await back.ready;
    const cmd = await until(() => back.messages.find((m) => m.topic === 'gridwatch/v1/gas-s1/cmd'), 10_000, 'the queued command');
    const body = JSON.parse(cmd.body) as { id: string; cmd: string; state: string };
    expect(body).toMatchObject({ cmd: 'valve', state: 'closed' });
    await back.client.publishAsync('gridwatch/v1/gas-s1/cmd/ack', JSON.stringify({ id: body.id, ok: true }), { qos: 1 });
    expect(await sent).toMatchObject({ id: body.id, device: 'gas-s1', ok: true });
    expect(await queued('gas-s1')).toBe(0);
  }, 60_000);

  it('with a clean session gets nothing of what its old session had queued, and the queue is emptied', async () => {
    await awayWithACommand('gas-s2');
    const back = connect('gas-s2', true);
    await back.ready;
    // anything from the queue would be written before the connection is ready, so before this answer
    await back.client.subscribeAsync('gridwatch/v1/gas-s2/error', { qos: 0 });
    await back.client.publishAsync('gridwatch/v1/gas-s2/reading', 'not json', { qos: 1 });
    await until(() => back.messages.find((m) => m.topic === 'gridwatch/v1/gas-s2/error'), 10_000, 'the error answer');
    expect(back.messages.map((m) => m.topic)).toEqual(['gridwatch/v1/gas-s2/error']);
    expect(await queued('gas-s2')).toBe(0);
  }, 60_000);

  it('while its old connection is still open takes over: the old one is closed, the new one works, presence says offline then online', async () => {
    const presence: string[] = [];
    t.hub.ctx.bus.on('presence', (e) => {
      if (e.device === 'gas-s3') presence.push(`${e.online ? 'online' : 'offline'}/${e.cause}`);
    });
    const old = connect('gas-s3', true);
    await old.ready;
    const oldClosed = new Promise<void>((resolve) => old.client.once('close', () => resolve()));
    const now = connect('gas-s3', true);
    await now.ready;
    await oldClosed;
    await now.client.publishAsync('gridwatch/v1/gas-s3/reading', JSON.stringify({ lel: 1 }), { qos: 1 });
    expect(presence).toEqual(['online/connect', 'offline/lwt', 'online/connect']);
  }, 60_000);
});
