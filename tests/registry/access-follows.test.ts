// Changes made through the registry reach every stage of a running hub at once (real influxd,
// broker, MQTT clients over TCP, socket.io clients): a decommissioned device leaves the rules engine
// (no offline case), the status board and the broker; a valve set over the API gets the valve
// command, also after a secret rotation; a person moved to another grid stops hearing the old one on
// their open socket; a password reset ends the tokens and sockets issued before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { io as connectIo, type Socket } from 'socket.io-client';
import type { AlertCase, AlertService } from '../../src/core/alert-types.js';
import type { LiveReading } from '../../src/live/index.js';
import { until } from '../helpers/hub.js';
import { json, startApiHarness, type ApiHarness } from '../api/harness.js';

let h: ApiHarness;
const sockets: Socket[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  h = await startApiHarness([
    { id: 'gas-1', kind: 'gas' }, { id: 'gas-d', kind: 'gas' }, { id: 'gas-e', kind: 'gas' },
    { id: 'noise-1', kind: 'noise' }, { id: 'gas-2', kind: 'gas', building: 'b2' },
  ]);
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  for (const c of clients) c.end(true);
  await h?.close();
}, 60_000);

const alerts = (): AlertService => h.t.hub.ctx.alerts as AlertService;

async function openSocket(token: string): Promise<{ socket: Socket; readings: LiveReading[]; hello: { grids: string[] }[] }> {
  const socket = connectIo(`http://127.0.0.1:${h.t.hub.httpPort}`, { path: '/socket.io', auth: { token }, transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  const readings: LiveReading[] = [];
  const hello: { grids: string[] }[] = [];
  socket.on('reading', (r: LiveReading) => readings.push(r));
  socket.on('hello', (x: { grids: string[] }) => hello.push(x));
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  await until(() => hello.length > 0, 10_000, 'hello');
  return { socket, readings, hello };
}

describe('a decommissioned device leaves every stage', () => {
  it('its MQTT connection is closed, it leaves the status board, and no offline case opens after its silence window', async () => {
    const d = await h.t.connect('gas-d');
    const e = await h.t.connect('gas-e');
    clients.push(d, e);
    await d.publishAsync('gridwatch/v1/gas-d/reading', JSON.stringify({ lel: 1, ts: h.clock.now() }), { qos: 1 });
    await e.publishAsync('gridwatch/v1/gas-e/reading', JSON.stringify({ lel: 1, ts: h.clock.now() }), { qos: 1 });
    expect((await h.call({ method: 'GET', url: '/api/v1/devices/gas-d', as: 'root' })).status).toBe(200);

    const closed = new Promise<void>((resolve) => d.once('close', () => resolve()));
    expect((await h.call({ method: 'DELETE', url: '/api/v1/devices/gas-d', as: 'root' })).status).toBe(200);
    await closed; // the broker ended its connection
    await until(() => !d.connected, 10_000, 'client disconnected');
    expect((await h.call({ method: 'GET', url: '/api/v1/devices/gas-d', as: 'root' })).status).toBe(404);
    const listed = json<{ id: string }[]>((await h.call({ method: 'GET', url: '/api/v1/devices', as: 'root' })).body).map((x) => x.id);
    expect(listed).not.toContain('gas-d');
    expect(listed).toContain('gas-e');
    // it cannot come back with its old secret
    await expect(h.t.connect('gas-d')).rejects.toThrow();

    // well past both devices' silence windows (3 x 60 s, at least 5 min, + 2 min grace)
    h.clock.advance(30 * 60_000);
    await h.t.hub.alerting?.tick();
    const open = async (device: string): Promise<AlertCase[]> => (await alerts().list({ device, state: ['open'] })).filter((c) => c.rule === 'offline');
    expect(await open('gas-e')).toHaveLength(1); // the window did pass: the device still registered went offline
    expect(await open('gas-d')).toHaveLength(0);
  });
});

describe('a valve set over the API', () => {
  it('gets the valve command on a gas critical, also after its secret was rotated', async () => {
    const r = await h.call({ method: 'POST', url: '/api/v1/devices', as: 'root', payload: { id: 'valve-1', kind: 'gas', building: 'b1', unit: '1单元101', valve: true } });
    expect(r.status).toBe(201);
    const rot = await h.call({ method: 'POST', url: '/api/v1/devices/valve-1/rotate-secret', as: 'root' });
    expect(rot.status).toBe(200);
    const valve = await h.t.connect('valve-1', { password: json<{ secret: string }>(rot.body).secret });
    clients.push(valve);
    const commands: Record<string, unknown>[] = [];
    await valve.subscribeAsync('gridwatch/v1/valve-1/cmd', { qos: 1 });
    valve.on('message', (_topic, payload) => commands.push(JSON.parse(payload.toString()) as Record<string, unknown>));

    h.emitReading('gas-1', { lel: 40 });
    const c = await until(async () => (await alerts().list({ device: 'gas-1', state: ['open'] })).find((x) => x.rule === 'gas-critical'), 10_000, 'gas critical case');
    const sentTo = ((await alerts().get(c.id))?.ledger ?? []).filter((l) => l.action === 'command_sent').map((l) => (l.data as { device?: string } | undefined)?.device);
    expect(sentTo).toEqual(['valve-1']); // the marked valve, not the sensor
    const cmd = await until(() => commands.find((x) => x.cmd === 'valve'), 10_000, 'valve command over MQTT');
    expect(cmd).toMatchObject({ cmd: 'valve', state: 'closed' });
  });
});

describe('one default report interval per kind', () => {
  it('a gas device provisioned without intervalS gets the gas module default (600 s), as from the CLI', async () => {
    const r = await h.call({ method: 'POST', url: '/api/v1/devices', as: 'root', payload: { id: 'gas-int', kind: 'gas', building: 'b1' } });
    expect(r.status).toBe(201);
    expect(json<{ device: { intervalS: number } }>(r.body).device.intervalS).toBe(600);
  });
});

describe('access follows the registry on open connections', () => {
  it('a person moved from g1 to g2: their open socket stops hearing g1 and hears g2 at once', async () => {
    const { socket, readings, hello } = await openSocket(h.tokens.get('wang') ?? '');
    expect(hello[0]?.grids).toEqual(['g1']);
    h.emitReading('noise-1', { laeq: 50 });
    await until(() => readings.some((x) => x.device === 'noise-1'), 10_000, 'g1 reading before the move');

    const r = await h.call({ method: 'PATCH', url: '/api/v1/people/wang', as: 'root', payload: { grids: ['g2'] } });
    expect(r.status).toBe(200);
    h.emitReading('gas-1', { lel: 1 }); // g1
    h.emitReading('gas-2', { lel: 1 }); // g2, sent after it on the same connection
    await until(() => readings.some((x) => x.device === 'gas-2'), 10_000, 'g2 reading after the move');
    expect(readings.map((x) => x.device)).not.toContain('gas-1');
    expect(hello.at(-1)?.grids).toEqual(['g2']);
    expect(socket.connected).toBe(true);
    // and REST agrees
    expect((await h.call({ method: 'GET', url: '/api/v1/devices?grid=g1', as: 'wang' })).status).toBe(403);
  });

  it('a password reset: the token issued before answers 401 and its open socket is closed', async () => {
    const { socket } = await openSocket(h.tokens.get('li') ?? '');
    const gone = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    expect((await h.call({ method: 'GET', url: '/api/v1/me', as: 'li' })).status).toBe(200);
    expect((await h.call({ method: 'POST', url: '/api/v1/people/li/reset-password', as: 'root' })).status).toBe(200);
    const me = await h.call({ method: 'GET', url: '/api/v1/me', as: 'li' });
    expect(me.status).toBe(401);
    await gone;
  });
});
