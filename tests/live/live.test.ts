// The socket.io live layer against a real hub and real socket.io clients over TCP: token
// handshake, grid rooms, connection state recovery after a drop, and reading thinning.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { io as connectIo, type Socket } from 'socket.io-client';
import type { AlertChange } from '../../src/core/alert-types.js';
import type { Reading } from '../../src/core/domain.js';
import type { LiveReading } from '../../src/live/index.js';
import { seedFromInflux } from '../../src/live/seed.js';
import { StatusBoard, type DeviceView } from '../../src/live/status-board.js';
import { presencePoint, readingPoint } from '../../src/store/points.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { password, peopleConfig } from '../api/people.js';

let influx: TestInflux;
let t: TestHub;
const sockets: Socket[] = [];

interface Seen { alert: AlertChange[]; device: DeviceView[]; devices: DeviceView[][]; reading: LiveReading[]; hello: { user: string; grids: string[] }[] }

async function login(id: string): Promise<string> {
  const r = await t.hub.ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: id, password: password(id) } });
  return (JSON.parse(r.body) as { token: string }).token;
}

async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function open(token: string): Promise<{ socket: Socket; seen: Seen }> {
  const socket = connectIo(`http://127.0.0.1:${t.hub.httpPort}`, { path: '/socket.io', auth: { token }, transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 200 });
  sockets.push(socket);
  const seen: Seen = { alert: [], device: [], devices: [], reading: [], hello: [] };
  socket.on('alert', (c: AlertChange) => seen.alert.push(c));
  socket.on('devices', (list: DeviceView[]) => {
    seen.devices.push(list);
    seen.device.push(...list);
  });
  socket.on('reading', (r: LiveReading) => seen.reading.push(r));
  socket.on('hello', (h: { user: string; grids: string[] }) => seen.hello.push(h));
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  return { socket, seen };
}

function emitReading(device: string, values: Reading['values'], extra: Partial<Reading> = {}): void {
  const d = t.hub.ctx.site.devices.get(device);
  if (!d) throw new Error(device);
  t.hub.ctx.bus.emit('reading', { device, kind: d.kind, ts: Date.now(), values, ...extra }, d);
}

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startTestHub({
    influxUrl: influx.url,
    devices: [
      { id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas', building: 'b2' }, { id: 'gas-3', kind: 'gas' }, { id: 'noise-1', kind: 'noise' }, { id: 'noise-2', kind: 'noise', building: 'b2' }, { id: 'noise-thin', kind: 'noise' },
      { id: 'smoke-t1', kind: 'smoke' }, { id: 'smoke-t2', kind: 'smoke' }, { id: 'smoke-t3', kind: 'smoke' }, { id: 'smoke-t4', kind: 'smoke', building: 'b2' },
    ],
    overrides: { people: peopleConfig() },
  });
});

afterAll(async () => {
  // the hub closes with live clients still connected (it must not wait for them)
  await t?.close();
  for (const s of sockets) s.disconnect();
  await influx?.cleanup();
});

describe('live layer', () => {
  it('refuses a handshake without a valid token', async () => {
    const socket = connectIo(`http://127.0.0.1:${t.hub.httpPort}`, { auth: { token: 'forged' }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    const err = await new Promise<Error & { data?: { code: string } }>((resolve) => socket.once('connect_error', resolve));
    expect(err.data?.code).toBe('GW_ERR_API_AUTH');
  });

  it('a grid worker never receives another grid\'s events; admin receives both', async () => {
    const wang = await open(await login('wang'));
    const zhao = await open(await login('zhao'));
    const root = await open(await login('root'));
    emitReading('gas-2', { lel: 30 });
    emitReading('noise-2', { laeq: 55 });
    emitReading('gas-1', { lel: 30 });
    emitReading('noise-1', { laeq: 45 });
    await waitFor(() => zhao.seen.alert.some((a) => a.case.device === 'gas-2') && zhao.seen.reading.some((r) => r.device === 'noise-2'), 'zhao\'s events');
    await waitFor(() => wang.seen.alert.some((a) => a.case.device === 'gas-1') && wang.seen.reading.some((r) => r.device === 'noise-1'), 'wang\'s events');
    await waitFor(() => root.seen.alert.some((a) => a.case.device === 'gas-1') && root.seen.alert.some((a) => a.case.device === 'gas-2'), 'root\'s events');
    await waitFor(() => wang.seen.device.some((d) => d.id === 'gas-1' && d.status === 'alarm'), 'gas-1 alarm status');
    expect(wang.seen.alert.map((a) => a.case.grid)).not.toContain('g2');
    expect(wang.seen.device.map((d) => d.grid)).not.toContain('g2');
    expect(wang.seen.reading.map((r) => r.device)).not.toContain('noise-2');
    expect(wang.seen.reading.map((r) => r.device)).not.toContain('gas-2');
    expect(zhao.seen.alert.map((a) => a.case.grid)).not.toContain('g1');
    expect(zhao.seen.reading.map((r) => r.device)).not.toContain('noise-1');
  });

  it('shares the HTTP server with MQTT over WebSocket at /mqtt', async () => {
    const client = await mqtt.connectAsync(`ws://127.0.0.1:${t.hub.httpPort}/mqtt`, { clientId: 'gas-3', username: 'gas-3', password: t.secrets.get('gas-3'), reconnectPeriod: 0, connectTimeout: 10_000 });
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it('logging out ends the live connection opened with that token', async () => {
    const token = await login('zhao');
    const zhao = await open(token);
    const gone = new Promise<string>((r) => zhao.socket.once('disconnect', (reason) => r(reason)));
    await t.hub.ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${token}` } });
    expect(await gone).toBe('io server disconnect');
  });

  it('a client that drops gets the events it missed when it reconnects', async () => {
    const li = await open(await login('li'));
    await waitFor(() => li.seen.hello.length === 1, 'hello');
    expect(li.seen.hello[0]).toEqual({ user: 'li', grids: ['g1'] });
    const disconnected = new Promise<void>((r) => li.socket.once('disconnect', () => r()));
    // drop the underlying connection (not a clean socket.io disconnect)
    li.socket.io.engine.close();
    await disconnected;
    emitReading('gas-3', { lel: 40 });
    emitReading('noise-1', { laeq: 66.6 });
    await new Promise<void>((r) => li.socket.once('connect', () => r()));
    expect(li.socket.recovered).toBe(true);
    await waitFor(() => li.seen.alert.some((a) => a.case.device === 'gas-3'), 'missed alert');
    await waitFor(() => li.seen.reading.some((r) => r.device === 'noise-1' && r.values.laeq === 66.6), 'missed reading');
    expect(li.seen.hello).toHaveLength(1); // a recovered session is not a new one
  });

  it('the status changes of one window reach each grid room as one `devices` event holding every device of that grid', async () => {
    const wang = await open(await login('wang'));
    const zhao = await open(await login('zhao'));
    // the smoke-t* devices are used by this test only: never seen before, each change is news
    const ids = ['smoke-t1', 'smoke-t2', 'smoke-t3', 'smoke-t4'];
    const now = Date.now();
    // one change per event-loop turn, as connections complete in a storm
    for (const id of ids) {
      t.hub.ctx.bus.emit('presence', { device: id, ts: now, online: true, cause: 'connect' }, t.hub.ctx.site.devices.get(id)!);
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => wang.seen.device.some((d) => d.id === 'smoke-t1') && zhao.seen.device.some((d) => d.id === 'smoke-t4'), 'the devices events');
    const mine = (seen: Seen): string[][] => seen.devices.map((list) => list.map((d) => d.id).filter((id) => id.startsWith('smoke-t')).sort()).filter((l) => l.length > 0);
    expect(mine(wang.seen)).toEqual([['smoke-t1', 'smoke-t2', 'smoke-t3']]);
    expect(mine(zhao.seen)).toEqual([['smoke-t4']]);
    expect(wang.seen.device.find((d) => d.id === 'smoke-t2')).toMatchObject({ online: true, status: 'ok', grid: 'g1' });
  });

  it('thins readings: 100 in 200 ms for one device → a few events, the last value wins', async () => {
    const wang = await open(await login('wang'));
    // noise-thin is used by this test only, so no earlier test's thinning window is still open
    for (let i = 1; i <= 100; i++) {
      emitReading('noise-thin', { laeq: 30 + i / 10 }, { battery: 90 });
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    const last = 30 + 100 / 10;
    await waitFor(() => wang.seen.reading.some((r) => r.device === 'noise-thin' && r.values.laeq === last), 'the last value');
    const got = wang.seen.reading.filter((r) => r.device === 'noise-thin');
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.length).toBeLessThanOrEqual(3);
    expect(got.at(-1)?.values.laeq).toBe(last);
    expect(got.at(-1)?.battery).toBe(90);
  });

  it('a fresh status board seeds last reading, battery and presence from InfluxDB', async () => {
    const ctx = t.hub.ctx;
    const now = Date.now();
    const g1 = ctx.site.devices.get('gas-1')!;
    const n2 = ctx.site.devices.get('noise-2')!;
    await ctx.store.writer.write([
      readingPoint({ device: 'gas-1', kind: 'gas', ts: now - 60_000, battery: 12, values: { lel: 3, valve: 'open' } }, g1),
      readingPoint({ device: 'gas-1', kind: 'gas', ts: now - 30_000, values: { lel: 4 } }, g1),
      presencePoint({ device: 'noise-2', ts: now - 10_000, online: false, cause: 'lwt' }, n2),
    ]);
    const board = new StatusBoard(ctx.site, { now: () => Date.now() }, 3);
    const end = Date.now() + 10_000;
    while (board.view('noise-2')?.online !== false && Date.now() < end) {
      await seedFromInflux(board, ctx.store.influx, ctx.store.database, ctx.site);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(board.view('gas-1')).toMatchObject({ lastSeen: now - 30_000, battery: 12, last: { values: { lel: 4 } }, status: 'low_battery' });
    expect(board.view('noise-2')).toMatchObject({ online: false, status: 'offline' });
    board.close();
  });
});
