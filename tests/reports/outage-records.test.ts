// Outage records against the real hub (real broker, MQTT clients over TCP, influxd, SQLite) on a
// ManualClock: the hub records outages as they happen, and the audit from those records gives the
// same answer as the raw recomputation from every reading and presence point.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { ManualClock } from '../../src/core/clock.js';
import type { PresenceEvent } from '../../src/core/domain.js';
import { hashSecretSync } from '../../src/core/secret.js';
import { auditUptime, outageTrackerOf, recordsFile, type UptimeReport } from '../../src/reports/index.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { FAST_SCRYPT, startTestHub, until, type TestHub } from '../helpers/hub.js';

const MAINS = 'noise-rec-1'; // every minute, stays connected; drops
const BATT = 'smoke-rec-1'; // every 2 h, connects, reports, disconnects cleanly
const SILENT = 'gas-rec-1'; // connects once, never sends data
const NEVER = 'water-rec-1'; // never seen
const M = 60_000;
const H = 60 * M;
let influx: TestInflux;
let t: TestHub;
const clock = new ManualClock(Date.UTC(2026, 5, 1, 2));
const T0 = clock.now();
const presence: PresenceEvent[] = [];
let readings = 0;

beforeAll(async () => {
  influx = await startTestInflux();
  const dev = (id: string, kind: string, intervalS: number) => ({ id, kind, building: 'b1', unit: '1单元101', intervalS, secretHash: hashSecretSync(`pw-${id}`, FAST_SCRYPT) });
  t = await startTestHub({
    influxUrl: influx.url, clock, devices: [{ id: MAINS, kind: 'noise' }, { id: BATT, kind: 'smoke' }, { id: SILENT, kind: 'gas' }, { id: NEVER, kind: 'water' }],
    overrides: { devices: [dev(MAINS, 'noise', 60), dev(BATT, 'smoke', 7200), dev(SILENT, 'gas', 60), dev(NEVER, 'water', 600)] },
  });
  t.hub.ctx.bus.on('presence', (e) => presence.push(e));
}, 120_000);

afterAll(async () => {
  await t?.close();
  await influx?.cleanup();
}, 60_000);

const will = (id: string) => ({ will: { topic: `gridwatch/v1/${id}/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: false } });
async function read(c: MqttClient, id: string, body: Record<string, unknown>): Promise<void> {
  await c.publishAsync(`gridwatch/v1/${id}/reading`, JSON.stringify({ ...body, ts: clock.now() }), { qos: 1 });
  readings++;
}
async function presenceSeen(id: string, cause: string): Promise<void> {
  const n = presence.filter((e) => e.device === id && e.cause === cause).length;
  await until(() => presence.filter((e) => e.device === id && e.cause === cause).length > n || undefined, 30_000, `${cause} of ${id}`);
}
const at = async (ms: number): Promise<void> => { clock.set(T0 + ms); };

describe('outage records', () => {
  it('the audit from the hub\'s outage records equals the raw recomputation, open outages counted up to --to', async () => {
    let mains = await t.connect(MAINS, will(MAINS));
    await read(mains, MAINS, { laeq: 40, lmax: 45 });
    let batt = await t.connect(BATT);
    await read(batt, BATT, { alarm: false, battery: 90 });
    let seen = presenceSeen(BATT, 'disconnect');
    await batt.endAsync();
    await seen;
    await t.connect(SILENT);
    for (const m of [1, 2, 3]) { await at(m * M); await read(mains, MAINS, { laeq: 40, lmax: 45 }); }
    // a short drop: reconnected within the grace
    await at(3 * M + 10_000);
    seen = presenceSeen(MAINS, 'lwt'); mains.stream.destroy(); await seen;
    await at(3 * M + 40_000);
    mains = await t.connect(MAINS, will(MAINS));
    await read(mains, MAINS, { laeq: 40, lmax: 45 });
    for (const m of [6, 9]) { await at(m * M); await read(mains, MAINS, { laeq: 40, lmax: 45 }); }
    // a long drop: an lwt outage from the drop to the next reading
    await at(10 * M);
    seen = presenceSeen(MAINS, 'lwt'); mains.stream.destroy(); await seen;
    await at(15 * M);
    mains = await t.connect(MAINS, will(MAINS));
    await at(16 * M);
    await read(mains, MAINS, { laeq: 40, lmax: 45 });
    await at(19 * M);
    await read(mains, MAINS, { laeq: 40, lmax: 45 });
    // the last drop is still under way at the audit
    await at(20 * M);
    seen = presenceSeen(MAINS, 'lwt'); mains.stream.destroy(); await seen;
    // the battery sensor reports at 2 h, then is silent for 7 h (offline from 8 h)
    await at(2 * H);
    batt = await t.connect(BATT);
    await read(batt, BATT, { alarm: false, battery: 88 });
    seen = presenceSeen(BATT, 'disconnect'); await batt.endAsync(); await seen;
    await at(9 * H);
    batt = await t.connect(BATT);
    await read(batt, BATT, { alarm: false, battery: 87 });
    seen = presenceSeen(BATT, 'disconnect'); await batt.endAsync(); await seen;

    outageTrackerOf(t.hub.ctx)?.flush();
    const stored = async (): Promise<number> => {
      let n = 0;
      for (const q of ['SELECT count("laeq") AS n FROM "noise"', 'SELECT count("alarm") AS n FROM "smoke"']) n += Number(rows(await influx.query(q, 'gridwatch'))[0]?.n ?? 0);
      return n;
    };
    await until(async () => (await stored()) === readings, 30_000, 'readings stored');
    const audit = (source: 'raw' | 'records'): Promise<UptimeReport> => auditUptime(t.hub.ctx.store.influx, t.hub.ctx.store.database, t.hub.ctx.site, {
      from: T0, to: T0 + 10 * H, offlineFactor: 3, source, records: recordsFile(t.config), now: T0 + 10 * H,
    });
    const pick = (r: UptimeReport) => r.devices.map(({ device, intervals, outages, reconnects, uptimePct, unplannedMs, mttrMs, firstSeen, neverReported, longestMs }) =>
      ({ device, intervals, outages, reconnects, uptimePct, unplannedMs, mttrMs, firstSeen, neverReported, longestMs }));
    const raw = await audit('raw');
    const rec = await audit('records');
    expect(rec.source).toBe('records');
    expect(pick(rec)).toEqual(pick(raw));
    const by = (id: string) => rec.devices.find((d) => d.device === id);
    expect(by(MAINS)?.intervals.map((i) => [i.start - T0, i.end - T0, i.cause, i.ongoing])).toEqual([[10 * M, 16 * M, 'lwt', false], [20 * M, 10 * H, 'lwt', true]]);
    expect(by(MAINS)?.reconnects).toBe(1);
    expect(by(BATT)?.intervals.map((i) => [i.start - T0, i.end - T0, i.cause])).toEqual([[8 * H, 9 * H, 'silent']]);
    expect(by(SILENT)).toMatchObject({ neverReported: true, intervals: [{ start: T0 + 5 * M, end: T0 + 10 * H, cause: 'silent', ongoing: true }] });
    expect(by(NEVER)?.intervals.map((i) => i.cause)).toEqual(['never_seen']);
    expect(by(BATT)?.lastBattery).toBe(87);
  });

  it('a cluster keeps no outage records (a hub sees only its own connections): auto reads InfluxDB, records names why not', async () => {
    const cluster = { hubId: 'a', redisUrl: 'redis://127.0.0.1:1', postgresUrl: 'postgres://gw@127.0.0.1:1/gw', leaseMs: 3000 };
    expect(recordsFile({ dataDir: t.dataDir })).toMatch(/outages\.db$/);
    expect(recordsFile({ dataDir: t.dataDir, cluster })).toBeUndefined();
    const opts = { from: T0, to: T0 + 10 * H, offlineFactor: 3, records: recordsFile({ dataDir: t.dataDir, cluster }), now: T0 + 10 * H };
    const auto = await auditUptime(t.hub.ctx.store.influx, t.hub.ctx.store.database, t.hub.ctx.site, opts);
    expect(auto.source).not.toBe('records');
    const err = await auditUptime(t.hub.ctx.store.influx, t.hub.ctx.store.database, t.hub.ctx.site, { ...opts, source: 'records' }).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toContain('cluster');
    expect(err?.message).toContain('--source raw');
  });
});
