import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';

let influx: TestInflux;
let t: TestHub;

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url,
    devices: [{ id: 'noise-ws', kind: 'noise' }, { id: 'gas-rate', kind: 'gas' }, { id: 'gas-big', kind: 'gas' }, { id: 'gas-cmd', kind: 'gas' }],
    overrides: { mqtt: { port: 0, host: '127.0.0.1', ratePerSecond: 0.01, rateBurst: 5, maxPacketBytes: 1024 } },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

function errorAnswers(c: MqttClient, device: string): Record<string, unknown>[] {
  const answers: Record<string, unknown>[] = [];
  c.on('message', (topic, payload) => {
    if (topic === `gridwatch/v1/${device}/error`) answers.push(JSON.parse(payload.toString()) as Record<string, unknown>);
  });
  return answers;
}

describe('broker transports and limits', () => {
  it('accepts MQTT over WebSocket at /mqtt on the HTTP port', async () => {
    const c = await mqtt.connectAsync(`ws://127.0.0.1:${t.hub.httpPort}/mqtt`, { clientId: 'noise-ws', username: 'noise-ws', password: t.secrets.get('noise-ws'), reconnectPeriod: 0 });
    await c.publishAsync('gridwatch/v1/noise-ws/reading', JSON.stringify({ laeq: 47.5, lmax: 60, seq: 1 }), { qos: 1 });
    const rows = await until(async () => (await influx.query("SELECT laeq, lmax FROM noise WHERE device = 'noise-ws'", 'gridwatch'))[0]?.values, 15_000, 'ws reading');
    expect(rows.map((r) => r.slice(1))).toEqual([[47.5, 60]]);
    await c.endAsync();
  });

  it('stores an over-rate message at once, holds its PUBACK and keeps the connection', async () => {
    const c = await t.connect('gas-rate');
    const answers = errorAnswers(c, 'gas-rate');
    await c.subscribeAsync('gridwatch/v1/gas-rate/error');
    for (let seq = 0; seq < 5; seq++) await c.publishAsync('gridwatch/v1/gas-rate/reading', JSON.stringify({ lel: 1, seq }), { qos: 1 });
    let acked = false;
    void c.publishAsync('gridwatch/v1/gas-rate/reading', JSON.stringify({ lel: 1, seq: 5 }), { qos: 1 }).then(() => {
      acked = true;
    }, () => undefined);
    const rows = await until(async () => {
      const v = (await influx.query("SELECT seq FROM gas WHERE device = 'gas-rate'", 'gridwatch'))[0]?.values ?? [];
      return v.length >= 6 ? v : undefined;
    }, 15_000, 'stored');
    expect(rows.map((r) => r[1])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(acked).toBe(false); // 100 s of debt at 0.01 readings/s
    expect(answers).toEqual([]);
    expect(c.connected).toBe(true);
    c.end(true);
  });

  it('answers a payload over maxPacketBytes with GW_ERR_PAYLOAD_TOO_LARGE', async () => {
    const c = await t.connect('gas-big');
    const answers = errorAnswers(c, 'gas-big');
    await c.subscribeAsync('gridwatch/v1/gas-big/error');
    await c.publishAsync('gridwatch/v1/gas-big/reading', JSON.stringify({ lel: 1, note: 'x'.repeat(2000) }), { qos: 1 });
    await until(() => answers.length >= 1 || undefined, 15_000, 'too-large answer');
    expect(answers[0]).toMatchObject({ code: 'GW_ERR_PAYLOAD_TOO_LARGE', field: 'payload', rule: 'size must be <= 1024 bytes' });
    await c.publishAsync('gridwatch/v1/gas-big/reading', JSON.stringify({ lel: 2 }), { qos: 1 });
    expect(c.connected).toBe(true);
    // beyond the hard bound (2 x maxPacketBytes + 64 KiB) the connection is closed before buffering it
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish('gridwatch/v1/gas-big/reading', Buffer.alloc(80_000, 32), { qos: 1 });
    await closed;
    const rows = await influx.query("SELECT lel FROM gas WHERE device = 'gas-big'", 'gridwatch');
    expect(rows[0]?.values.map((r) => r[1])).toEqual([2]);
  });

  it('sends commands to the device on its cmd topic (QoS 1); its ack goes on the bus and completes the send', async () => {
    const c = await t.connect('gas-cmd');
    const got: unknown[] = [];
    c.on('message', (topic, payload) => {
      if (topic === 'gridwatch/v1/gas-cmd/cmd') got.push(JSON.parse(payload.toString()));
    });
    await c.subscribeAsync('gridwatch/v1/gas-cmd/cmd', { qos: 1 });
    const acks: unknown[] = [];
    t.hub.ctx.bus.on('cmdAck', (ack) => acks.push(ack));
    const sent = t.hub.ctx.commands.send('gas-cmd', { id: 'c-1', cmd: 'valve', state: 'closed' });
    await until(() => got.length >= 1 || undefined, 15_000, 'command');
    expect(got).toEqual([{ id: 'c-1', cmd: 'valve', state: 'closed' }]);
    await c.publishAsync('gridwatch/v1/gas-cmd/cmd/ack', JSON.stringify({ id: 'c-1', ok: true }), { qos: 1 });
    await until(() => acks.length >= 1 || undefined, 15_000, 'ack');
    expect(acks[0]).toMatchObject({ device: 'gas-cmd', id: 'c-1', ok: true });
    expect(await sent).toMatchObject({ id: 'c-1', device: 'gas-cmd', ok: true });
    await c.endAsync();
  });

  it('closes gracefully while devices are still connected', async () => {
    // a hub of its own: closing the shared one would break any test that runs after this one
    const own = await startTestHub({ influxUrl: influx.url, devices: [{ id: 'gas-close', kind: 'gas' }, { id: 'noise-close', kind: 'noise' }] });
    try {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${own.hub.mqttPort}`, { clientId: 'gas-close', username: 'gas-close', password: own.secrets.get('gas-close'), reconnectPeriod: 0 });
      const ws = await mqtt.connectAsync(`ws://127.0.0.1:${own.hub.httpPort}/mqtt`, { clientId: 'noise-close', username: 'noise-close', password: own.secrets.get('noise-close'), reconnectPeriod: 0 });
      const closed = Promise.all([c, ws].map((x) => new Promise<void>((resolve) => x.once('close', () => resolve()))));
      await own.hub.close();
      await closed;
      expect([c.connected, ws.connected]).toEqual([false, false]);
    } finally {
      await own.close();
    }
  });
});
