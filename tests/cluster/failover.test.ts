// Two real hubs (`gridwatch serve`) behind the shipped HAProxy config, on one redis-server, one
// PostgreSQL and one influxd, all on loopback. A panel on one hub sees a case raised from a device
// on the other; then `kill -9` of a hub under load (100 devices, 200 QoS 1 readings/s through
// HAProxy): every acknowledged reading stored exactly once, every device back and publishing, no
// offline case, no retained `offline` for an online device, and a gas leak published during the
// failover opens one case whose valve command reaches the device on the surviving hub.
// Failover times are measured and printed, never asserted (they belong to `npm run bench`).
import { createRequire } from 'node:module';
import type { Socket as NetSocket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connectIo, type Socket } from 'socket.io-client';
import type { AlertChange } from '../../src/core/alert-types.js';
import { hashSecretSync } from '../../src/core/secret.js';
import { DeviceClient } from '../../firmware-sim/client.js';
import { rngFor } from '../../firmware-sim/rng.js';
import { rows } from '../helpers/influxd.js';
import { FAST_SCRYPT, until, type TestDevice } from '../helpers/hub.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { startTestHaproxy, type TestHaproxy } from '../helpers/haproxy.js';
import { password, peopleConfig } from '../api/people.js';

const msgpack = createRequire(import.meta.url)('msgpack-lite') as { decode(b: Buffer): { payload: Buffer } };

const GAS = 'gas-leak';
const NOISE = Array.from({ length: 99 }, (_, i) => `noise-${String(i).padStart(3, '0')}`);
const DEVICES: TestDevice[] = [...NOISE.map((id) => ({ id, kind: 'noise' as const })), { id: GAS, kind: 'gas', unit: '3单元301' }, { id: 'gas-panel', kind: 'gas', building: 'b1', unit: '9单元901' }];
// a 2 s report interval so that the offline rule (silent 8 s, or dropped 4 s without a reconnect)
// WOULD fire within the test if a failover counted as an outage
const SITE_DEVICES = DEVICES.map((d) => ({ id: d.id, kind: d.kind, building: d.building ?? 'b1', unit: d.unit ?? '1单元101', intervalS: 2, secretHash: hashSecretSync(`pw-${d.id}`, FAST_SCRYPT) }));
const PERIOD_MS = 500; // per device: 100 devices -> 200 readings/s

let cluster: TestCluster;
/** what the failover test leaves for the rules test after it */
const after: { killAt?: number; casesBefore?: Record<string, unknown>[]; onVictim?: string[] } = {};
let haproxy: TestHaproxy;
const devices = new Map<string, DeviceClient>();
const sockets: Socket[] = [];

beforeAll(async () => {
  cluster = await startTestCluster({
    devices: DEVICES,
    overrides: {
      devices: SITE_DEVICES,
      people: peopleConfig(),
      rules: [{ id: 'offline', severity: 'warning', condition: { type: 'noData', factor: 3, minSilence: '8s', grace: '4s' } }],
    },
  });
  haproxy = await startTestHaproxy(cluster.hubs.map((h) => ({ name: h.id, mqttPort: h.mqttPort, httpPort: h.httpPort })));
  await until(async () => {
    const s = await haproxy.status();
    return Object.values(s.mqtt).filter((v) => v === 'UP').length === 2 || undefined;
  }, 30_000, 'HAProxy to see both hubs up');
}, 240_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await Promise.all([...devices.values()].map((d) => d.stop().catch(() => undefined)));
  await haproxy?.cleanup();
  await cluster?.cleanup();
}, 120_000);

async function openedCases(): Promise<Record<string, unknown>[]> {
  return rows(await cluster.influx.query(`SELECT "case_id", "device", "rule" FROM "alert" WHERE "action" = 'opened'`, 'gridwatch'));
}

describe('cluster of two hubs behind HAProxy', () => {
  it('a panel connected to hub A sees, live, a case raised from a device connected to hub B', async () => {
    const [a, b] = cluster.hubs;
    if (!a || !b) throw new Error('two hubs expected');
    const login = await fetch(`http://127.0.0.1:${a.httpPort}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'wang', password: password('wang') }) });
    const { token } = (await login.json()) as { token: string };
    const socket = connectIo(`http://127.0.0.1:${a.httpPort}`, { path: '/socket.io', auth: { token }, transports: ['websocket'] });
    sockets.push(socket);
    const seen: AlertChange[] = [];
    socket.on('alert', (c: AlertChange) => seen.push(c));
    await new Promise<void>((resolve, reject) => { socket.once('hello', () => resolve()); socket.once('connect_error', reject); });
    const device = await cluster.connect('gas-panel', b.mqttPort);
    await device.publishAsync('gridwatch/v1/gas-panel/reading', JSON.stringify({ lel: 30, ts: Date.now() }), { qos: 1 });
    const change = await until(() => seen.find((c) => c.case.device === 'gas-panel' && c.entry.action === 'opened'), 30_000, 'the case on the panel of hub A');
    expect(change.case).toMatchObject({ device: 'gas-panel', grid: 'g1', rule: 'gas-critical' });
    device.end(true);
  });

  it('kill -9 of a hub under load: acknowledged readings stored exactly once, devices back, no offline case, one gas case and its valve command', async () => {
    // --- 100 devices through HAProxy, each publishing a QoS 1 reading every 500 ms ---
    const acked = new Map<string, Set<number>>();
    // per device: when each acknowledged reading was sent and acknowledged
    const ackedAt = new Map<string, { sent: number; at: number }[]>();
    const connectedAt = new Map<string, number[]>();
    const commands: Record<string, unknown>[] = [];
    const seqOf = new Map<string, number>();
    let loading = true;
    const ids = [...NOISE, GAS];
    for (const id of ids) {
      acked.set(id, new Set());
      ackedAt.set(id, []);
      connectedAt.set(id, []);
      devices.set(id, new DeviceClient({
        url: `mqtt://127.0.0.1:${haproxy.mqttPort}`, id, secret: cluster.secrets.get(id) ?? '', rng: rngFor('failover', id),
        keepaliveS: 5, backoffBaseMs: 500, backoffMaxMs: 2000,
        onConnect: () => connectedAt.get(id)?.push(Date.now()),
        onCommand: (cmd) => { if (id === GAS) commands.push({ ...cmd, at: Date.now() }); },
      }));
    }
    const publishOne = (id: string, body: Record<string, unknown>): void => {
      const seq = (seqOf.get(id) ?? 0) + 1;
      seqOf.set(id, seq);
      const sent = Date.now();
      devices.get(id)?.publish('reading', { seq, ...body }, 1).then(() => {
        acked.get(id)?.add(seq);
        ackedAt.get(id)?.push({ sent, at: Date.now() });
      }, () => undefined);
    };
    // half the devices stamp their readings, half leave the time to the hub (the hard case: a
    // re-send to the other hub must keep the first hub's receive time)
    const timers = ids.map((id, i) => setTimeout(() => {
      const tick = (): void => {
        if (!loading) return;
        if (id === GAS) publishOne(id, { lel: 0, ts: Date.now() });
        else publishOne(id, i % 2 === 0 ? { laeq: 30 + (i % 5), ts: Date.now() } : { laeq: 30 + (i % 5) });
        timers[i] = setTimeout(tick, PERIOD_MS);
      };
      tick();
    }, Math.floor((i * PERIOD_MS) / ids.length)));

    await until(() => ids.every((id) => (acked.get(id)?.size ?? 0) >= 3) || undefined, 60_000, 'every device publishing');

    // --- which hub holds the gas device (HAProxy's consistent hash): that one dies ---
    const gasPort = (devices.get(GAS)?.client.stream as NetSocket | undefined)?.localPort ?? 0;
    const victimId = await until(() => haproxy.serverOf(gasPort), 10_000, 'the gas device in HAProxy sessions');
    const victim = cluster.hubs.find((h) => h.id === victimId);
    const survivor = cluster.hubs.find((h) => h.id !== victimId);
    if (!victim || !survivor) throw new Error(`unknown hub ${victimId}`);
    const onVictim: string[] = [];
    for (const id of ids) {
      const port = (devices.get(id)?.client.stream as NetSocket | undefined)?.localPort ?? 0;
      if ((await haproxy.serverOf(port)) === victimId) onVictim.push(id);
    }
    const casesBefore = await openedCases();

    const killAt = Date.now();
    victim.child.kill('SIGKILL');
    // a gas leak during the failover: the device's QoS 1 publish goes out while its hub is dead
    const leakSeq = (seqOf.get(GAS) ?? 0) + 1;
    publishOne(GAS, { lel: 40, ts: Date.now() });

    // --- every device back and publishing again (a reading sent after the kill, acknowledged) ---
    const againAt = (id: string): number | undefined => ackedAt.get(id)?.find((a) => a.sent > killAt)?.at;
    // (mqtt.js announces a reconnect only once it has re-sent its queue, so both are awaited)
    const back = await until(() => {
      const firstAcks = ids.map(againAt);
      const reconnected = onVictim.every((id) => connectedAt.get(id)?.some((t) => t > killAt));
      return reconnected && firstAcks.every((t) => t !== undefined) ? (firstAcks as number[]) : undefined;
    }, 60_000, 'every device of the dead hub reconnected and every device publishing again');

    // --- the gas leak: its valve command reaches the device on the surviving hub ---
    const valve = await until(() => commands.find((c) => c.cmd === 'valve'), 60_000, 'the valve command on the gas device');
    expect(valve).toMatchObject({ cmd: 'valve', state: 'closed' });
    const gasPortNow = (devices.get(GAS)?.client.stream as NetSocket | undefined)?.localPort ?? 0;
    expect(await haproxy.serverOf(gasPortNow)).toBe(survivor.id);
    expect(acked.get(GAS)?.has(leakSeq)).toBe(true);

    // --- the load goes on past the offline rule's windows (silent 8 s; dropped 4 s) ---
    const lastBack = Math.max(...back);
    await until(() => Date.now() > Math.max(lastBack, killAt) + 14_000 || undefined, 60_000, 'the offline windows to pass under load');
    loading = false;
    for (const t of timers) clearTimeout(t);
    // what is still in flight settles (acknowledged or not) before the count
    // every reading sent is acknowledged in the end (a connected device's QoS 1 publish is re-sent until it is)
    await until(() => ids.every((id) => acked.get(id)?.size === seqOf.get(id)) || undefined, 60_000, 'every reading sent to be acknowledged');

    after.casesBefore = casesBefore;
    after.killAt = killAt;
    after.onVictim = onVictim;

    // --- every acknowledged reading stored exactly once ---
    const totalAcked = [...acked.values()].reduce((n, s) => n + s.size, 0);
    const stored = await until(async () => {
      const r = [
        ...rows(await cluster.influx.query('SELECT "seq", "device" FROM "noise"', 'gridwatch')),
        ...rows(await cluster.influx.query(`SELECT "seq", "device" FROM "gas" WHERE "device" = '${GAS}'`, 'gridwatch')),
      ];
      const have = new Set(r.map((p) => `${String(p.device)}/${String(p.seq)}`));
      return [...acked].every(([id, seqs]) => [...seqs].every((s) => have.has(`${id}/${s}`))) ? r : undefined;
    }, 60_000, 'every acknowledged reading in InfluxDB');
    const counts = new Map<string, number>();
    for (const p of stored) counts.set(`${String(p.device)}/${String(p.seq)}`, (counts.get(`${String(p.device)}/${String(p.seq)}`) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);

    // --- the dead hub's Last Wills, published by the survivor, left no retained `offline` ---
    const redis = cluster.redis.client();
    await until(async () => !(await redis.lrange('will', 0, -1)).some((k) => k.startsWith(`will:gridwatch-${victimId}:`)) || undefined, 30_000, "the dead hub's wills to be cleared");
    const statuses = await Promise.all(ids.map(async (id) => {
      const packet = await redis.hgetBuffer('retained', `gridwatch/v1/${id}/status`);
      return packet ? msgpack.decode(packet).payload.toString() : 'none';
    }));
    expect(statuses.filter((s) => s !== 'online')).toEqual([]);

    // --- HAProxy's health checks (an anonymous CONNECT per second per hub) do not flood the log ---
    expect(survivor.log().split('\n').filter((l) => l.includes('device refused'))).toEqual([]);

    // --- measured, not asserted ---
    const moved = onVictim.map((id) => (connectedAt.get(id)?.find((t) => t > killAt) ?? killAt) - killAt);
    const againVictim = onVictim.map((id) => (againAt(id) ?? killAt) - killAt);
    console.log(JSON.stringify({
      failover: {
        devices: ids.length, onKilledHub: onVictim.length, ackedReadings: totalAcked,
        reconnectMs: { p50: pct(moved, 0.5), max: Math.max(...moved) },
        publishingAgainMs: { p50: pct(againVictim, 0.5), max: Math.max(...againVictim) },
        valveCommandAfterKillMs: Number(valve.at) - killAt,
      },
    }));
  });
});

describe('rules across the failover (one rules leader)', () => {
  it('the failover raised no offline case, and the gas leak opened one case', async (ctx) => {
    // Until the rules leader is wired into the hub, every hub runs the rules on what its own
    // devices send (each hub's rules find the other hub's devices silent): nothing to check yet.
    if (!cluster.hubs.some((h) => h.log().includes('lease acquired: leading'))) ctx.skip();
    if (after.killAt === undefined) throw new Error('the failover test did not run');
    const opened = (await openedCases()).filter((c) => !after.casesBefore?.some((b) => b.case_id === c.case_id));
    // only the devices publishing through the failover: the panel test's device has gone quiet for real
    const load = new Set<unknown>([...NOISE, GAS]);
    expect(opened.filter((c) => c.rule === 'offline' && load.has(c.device))).toEqual([]);
    expect(opened.filter((c) => c.device === GAS && c.rule === 'gas-critical')).toHaveLength(1);
  });
});

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}
