// Cluster mode of the broker and the ingest, two in-process hubs on one real redis-server (and one
// real influxd): a command sent by one hub reaches the device on the other and the device's ack
// settles it there; the device's re-send of a stored reading to the other hub is known; a panel on
// one hub sees a case raised from the other.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { io as connectIo, type Socket } from 'socket.io-client';
import type { AlertChange } from '../../src/core/alert-types.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { password, peopleConfig } from '../api/people.js';

// aedes-persistence-redis keeps retained packets msgpack-encoded
const msgpack = createRequire(import.meta.url)('msgpack-lite') as { decode(b: Buffer): { payload: Buffer } };
let influx: TestInflux;
let redis: TestRedis;
let postgres: TestPostgres;
let a: TestHub;
let b: TestHub;
const sockets: Socket[] = [];
const DEVICES = [
  { id: 'gas-c1', kind: 'gas' as const }, { id: 'gas-c2', kind: 'gas' as const }, { id: 'gas-c3', kind: 'gas' as const },
  { id: 'noise-c1', kind: 'noise' as const }, { id: 'noise-c2', kind: 'noise' as const }, { id: 'noise-c3', kind: 'noise' as const }, { id: 'noise-c4', kind: 'noise' as const }, { id: 'noise-c5', kind: 'noise' as const }, { id: 'noise-c6', kind: 'noise' as const },
];

const hub = (hubId: string): Promise<TestHub> => startTestHub({
  influxUrl: influx.url, devices: DEVICES,
  overrides: {
    people: peopleConfig(),
    mqtt: { port: 0, host: '127.0.0.1', commandAckMs: 1000, commandAttempts: 2 },
    cluster: { hubId, redisUrl: redis.url, postgresUrl: postgres.url },
  },
});

beforeAll(async () => {
  [influx, redis, postgres] = await Promise.all([startTestInflux(), startTestRedis(), startTestPostgres()]);
  a = await hub('a');
  b = await hub('b');
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await a?.close();
  await b?.close();
  await Promise.all([influx?.cleanup(), redis?.cleanup(), postgres?.cleanup()]);
}, 60_000);

function commandsOf(client: MqttClient, device: string): Record<string, unknown>[] {
  const got: Record<string, unknown>[] = [];
  client.on('message', (topic, payload) => {
    if (topic === `gridwatch/v1/${device}/cmd`) got.push(JSON.parse(payload.toString()) as Record<string, unknown>);
  });
  return got;
}

describe('broker on the shared Redis', () => {
  it('a command sent by hub B reaches the device on hub A, and the ack on A settles it on B', async () => {
    const device = await a.connect('gas-c1', { clean: false });
    const got = commandsOf(device, 'gas-c1');
    await device.subscribeAsync('gridwatch/v1/gas-c1/cmd', { qos: 1 });
    const sent = b.hub.broker.send('gas-c1', { cmd: 'valve', state: 'closed' });
    const cmd = await until(() => got[0], 30_000, 'the command on the device');
    expect(cmd).toMatchObject({ cmd: 'valve', state: 'closed' });
    await device.publishAsync('gridwatch/v1/gas-c1/cmd/ack', JSON.stringify({ id: cmd.id, ok: true }), { qos: 1 });
    await expect(sent).resolves.toMatchObject({ id: cmd.id, device: 'gas-c1', ok: true });
    device.end(true);
  });

  it('a persistent session moves with the device: a command queued while it was away is delivered on the other hub', async () => {
    const first = await a.connect('gas-c2', { clean: false });
    await first.subscribeAsync('gridwatch/v1/gas-c2/cmd', { qos: 1 });
    await first.endAsync();
    const sent = a.hub.broker.send('gas-c2', { cmd: 'valve', state: 'closed' }).catch((e: unknown) => e);
    const device = await b.connect('gas-c2', { clean: false });
    const got = commandsOf(device, 'gas-c2');
    const cmd = await until(() => got[0], 30_000, 'the queued command on hub B');
    await device.publishAsync('gridwatch/v1/gas-c2/cmd/ack', JSON.stringify({ id: cmd.id, ok: true }), { qos: 1 });
    expect(await sent).toMatchObject({ id: cmd.id, ok: true });
    device.end(true);
  });

  it("a reading stored through hub A and re-sent to hub B is refused as a duplicate: one point", async () => {
    const errors: string[] = [];
    const onA = await a.connect('noise-c1');
    // receive-stamped (no ts): only the shared memory can tell B where it went
    await onA.publishAsync('gridwatch/v1/noise-c1/reading', JSON.stringify({ seq: 7, laeq: 61.5 }), { qos: 1 });
    onA.end(true);
    const onB = await b.connect('noise-c1');
    onB.on('message', (_t, p) => errors.push(p.toString()));
    await onB.subscribeAsync('gridwatch/v1/noise-c1/error', { qos: 0 });
    await onB.publishAsync('gridwatch/v1/noise-c1/reading', JSON.stringify({ seq: 7, laeq: 61.5 }), { qos: 1 });
    await until(() => errors.find((e) => e.includes('GW_ERR_PAYLOAD_DUPLICATE')), 30_000, 'the duplicate answer');
    const points = await until(async () => {
      const r = rows(await influx.query("SELECT laeq, seq FROM noise WHERE device = 'noise-c1'", 'gridwatch'));
      return r.length > 0 ? r : undefined;
    }, 30_000, 'the stored point');
    expect(points.map((p) => p.seq)).toEqual([7]);
    onB.end(true);
  });

  it('a device-stamped reading stored through A, re-sent to B, and back on A: each hub knows it (recalled per connection)', async () => {
    const errors: string[] = [];
    const ts = Date.now() - 5_000;
    const reading = JSON.stringify({ seq: 21, laeq: 55.5, ts });
    const onA = await a.connect('noise-c3');
    await onA.publishAsync('gridwatch/v1/noise-c3/reading', reading, { qos: 1 });
    onA.end(true);
    const onB = await b.connect('noise-c3');
    onB.on('message', (_t, p) => errors.push(`B ${p.toString()}`));
    await onB.subscribeAsync('gridwatch/v1/noise-c3/error', { qos: 0 });
    await onB.publishAsync('gridwatch/v1/noise-c3/reading', reading, { qos: 1 });
    await until(() => errors.find((e) => e.startsWith('B') && e.includes('GW_ERR_PAYLOAD_DUPLICATE')), 30_000, 'the duplicate answer from B');
    // a new reading through B, then the device goes back to A, which must learn it anew
    const second = JSON.stringify({ seq: 22, laeq: 56.5, ts: ts + 1000 });
    await onB.publishAsync('gridwatch/v1/noise-c3/reading', second, { qos: 1 });
    onB.end(true);
    const backOnA = await a.connect('noise-c3');
    backOnA.on('message', (_t, p) => errors.push(`A ${p.toString()}`));
    await backOnA.subscribeAsync('gridwatch/v1/noise-c3/error', { qos: 0 });
    await backOnA.publishAsync('gridwatch/v1/noise-c3/reading', second, { qos: 1 });
    await until(() => errors.find((e) => e.startsWith('A') && e.includes('GW_ERR_PAYLOAD_DUPLICATE')), 30_000, 'the duplicate answer from A');
    const points = rows(await influx.query("SELECT laeq, seq FROM noise WHERE device = 'noise-c3'", 'gridwatch'));
    expect(points.map((p) => p.seq).sort()).toEqual([21, 22]);
    backOnA.end(true);
  });

  it("a device's retained status is kept in Redis; a retained reading is kept nowhere and received by no one", async () => {
    const device = await a.connect('noise-c6');
    const got: string[] = [];
    device.on('message', (topic) => got.push(topic));
    await device.subscribeAsync('gridwatch/v1/noise-c6/error', { qos: 1 });
    await device.publishAsync('gridwatch/v1/noise-c6/status', 'online', { qos: 1, retain: true });
    await device.publishAsync('gridwatch/v1/noise-c6/reading', JSON.stringify({ seq: 31, laeq: 50.5 }), { qos: 1, retain: true });
    await until(async () => rows(await influx.query("SELECT seq FROM noise WHERE device = 'noise-c6' AND seq = 31", 'gridwatch')).length === 1 || undefined, 30_000, 'the reading stored');
    const kept = redis.client();
    const status = await kept.hgetBuffer('retained', 'gridwatch/v1/noise-c6/status');
    expect(status ? msgpack.decode(status).payload.toString() : 'none').toBe('online');
    expect(await kept.hexists('retained', 'gridwatch/v1/noise-c6/reading')).toBe(0);
    // an error answer (through the shared emitter) arrives, and nothing before it
    await device.publishAsync('gridwatch/v1/noise-c6/reading', '{"laeq":"loud"}', { qos: 1 });
    await until(() => got.length > 0, 30_000, 'the error answer');
    expect(got).toEqual(['gridwatch/v1/noise-c6/error']);
    device.end(true);
  });

  it('a cmd/ack sent twice for one command (a redelivery) is announced once', async () => {
    const acks: string[] = [];
    for (const h of [a, b]) h.hub.ctx.bus.on('cmdAck', (ack) => acks.push(ack.id));
    const onA = await a.connect('gas-c3');
    await onA.publishAsync('gridwatch/v1/gas-c3/cmd/ack', JSON.stringify({ id: 'cmd-dup-1', ok: true }), { qos: 1 });
    onA.end(true);
    const onB = await b.connect('gas-c3');
    await onB.publishAsync('gridwatch/v1/gas-c3/cmd/ack', JSON.stringify({ id: 'cmd-dup-1', ok: true }), { qos: 1 });
    await onB.publishAsync('gridwatch/v1/gas-c3/cmd/ack', JSON.stringify({ id: 'cmd-other', ok: true }), { qos: 1 });
    await until(() => acks.includes('cmd-other'), 30_000, 'the second command ack');
    expect(acks).toEqual(['cmd-dup-1', 'cmd-other']);
    onB.end(true);
  });

  it('a device taken over by the other hub (and back) was never offline: connect points only', async () => {
    const will = { topic: 'gridwatch/v1/noise-c4/status', payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    // hub B must have heard hub A announce the first connection before the second one reaches B
    // (a late announcement would make B close the second connection: aedes' takeover rule)
    let heard = (): void => undefined;
    const announced = new Promise<void>((resolve) => { heard = resolve; });
    await new Promise<void>((subscribed) => b.hub.broker.aedes.subscribe('$SYS/+/new/clients', (packet: { topic: string; payload: Buffer | string }, done: () => void) => {
      if (packet.topic.includes('gridwatch-a') && packet.payload.toString() === 'noise-c4') heard();
      done();
    }, () => subscribed()));
    const old = await a.connect('noise-c4', { will });
    await announced;
    const fresh = await b.connect('noise-c4', { will });
    const clientsOfA = a.hub.broker.aedes as unknown as { clients: Record<string, unknown> };
    await until(() => clientsOfA.clients['noise-c4'] === undefined || undefined, 30_000, 'hub A to close the old connection');
    // back to hub A: hub B's connection is taken over in turn. A's new connect point comes after
    // anything A recorded before (one writer, in order), and so proves no `lwt` point was written
    const third = await a.connect('noise-c4', { will });
    const clientsOfB = b.hub.broker.aedes as unknown as { clients: Record<string, unknown> };
    await until(() => clientsOfB.clients['noise-c4'] === undefined || undefined, 30_000, 'hub B to close its connection');
    // likewise on hub B: a later point of another device proves B wrote no `lwt` before it
    const marker = await b.connect('noise-c5');
    await until(async () => rows(await influx.query("SELECT cause FROM presence WHERE device = 'noise-c5'", 'gridwatch')).length >= 1 || undefined, 30_000, "hub B's later point");
    const points = await until(async () => {
      const r = rows(await influx.query("SELECT online, cause FROM presence WHERE device = 'noise-c4'", 'gridwatch'));
      return r.filter((p) => p.cause === 'connect').length >= 3 ? r : undefined;
    }, 30_000, 'the presence points');
    expect(points.map((p) => p.cause)).toEqual(['connect', 'connect', 'connect']);
    for (const c of [old, fresh, third, marker]) c.end(true);
  });
});

describe('live panel across hubs', () => {
  it('a socket.io client on hub B sees a case raised from a device connected to hub A, live', async () => {
    const login = await b.hub.ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'wang', password: password('wang') } });
    const token = (JSON.parse(login.body) as { token: string }).token;
    const socket = connectIo(`http://127.0.0.1:${b.hub.httpPort}`, { path: '/socket.io', auth: { token }, transports: ['websocket'] });
    sockets.push(socket);
    const alerts: AlertChange[] = [];
    socket.on('alert', (c: AlertChange) => alerts.push(c));
    await new Promise<void>((resolve, reject) => { socket.once('hello', () => resolve()); socket.once('connect_error', reject); });
    const device = await a.connect('gas-c3');
    await device.publishAsync('gridwatch/v1/gas-c3/reading', JSON.stringify({ lel: 35, ts: Date.now() }), { qos: 1 });
    const seen = await until(() => alerts.find((c) => c.case.device === 'gas-c3'), 15_000, 'the case on hub B');
    expect(seen.case).toMatchObject({ device: 'gas-c3', grid: 'g1', severity: 'critical' });
    // hub B's status board heard the reading and the alarm of a device it never held
    // (the alert and the reading reach hub B by different paths: whichever comes first, both arrive)
    const view = await until(() => { const v = b.hub.board.view('gas-c3'); return v?.status === 'alarm' && v.last ? v : undefined; }, 15_000, "hub B's board to show the alarm and the reading");
    expect(view).toMatchObject({ online: true, last: { values: { lel: 35 } } });
    device.end(true);
  });
});
