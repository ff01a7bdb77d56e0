// Presence points are announced at once and stored with the others of their window (the writer's
// flushMs): a real hub, real MQTT clients over TCP, a real influxd. The window is made long here
// (60 s) so that what the tests see cannot come from the window running out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from '../../src/core/clock.js';
import type { PresenceEvent } from '../../src/core/domain.js';
import type { InfluxWriter } from '../../src/store/writer.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, until, type TestHub } from '../helpers/hub.js';

let influx: TestInflux;
const hubs: TestHub[] = [];

beforeAll(async () => {
  influx = await startTestInflux();
}, 60_000);

afterAll(async () => {
  for (const t of hubs) await t.close();
  await influx?.cleanup();
}, 60_000);

const LONG_WINDOW_MS = 60_000;

async function hubWith(database: string, devices: string[], batchSize?: number, clock?: Clock): Promise<{ t: TestHub; events: PresenceEvent[] }> {
  const t = await startTestHub({
    influxUrl: influx.url, database, devices: devices.map((id) => ({ id, kind: 'smoke' as const })), ...(clock ? { clock } : {}),
    overrides: { influx: { url: influx.url, database, flushMs: LONG_WINDOW_MS, ...(batchSize ? { batchSize } : {}) } },
  });
  hubs.push(t);
  const events: PresenceEvent[] = [];
  t.hub.ctx.bus.on('presence', (e) => events.push(e));
  return { t, events };
}

async function presenceRows(database: string): Promise<{ device: string; online: boolean; cause: string; time: number }[]> {
  const series = await influx.query('SELECT device, online, cause FROM presence', database);
  return (series[0]?.values ?? []).map((v) => ({ time: v[0] as number, device: v[1] as string, online: v[2] as boolean, cause: v[3] as string }));
}

const changes = (events: PresenceEvent[], device: string): string[] => events.filter((e) => e.device === device).map((e) => `${e.online}:${e.cause}`);

describe('presence points', () => {
  it('each change is announced at once; a full batch is written at once; the hub\'s close writes the rest; each point once, in order', async () => {
    const db = 'gw_presence_order';
    const devices = ['smk-o1', 'smk-o2', 'smk-o3', 'smk-o4', 'smk-o5', 'smk-o6'];
    const { t, events } = await hubWith(db, devices, 5);
    for (const device of devices) {
      // connect, drop (Last Will), connect, clean disconnect: each announced before the window ends
      const first = await t.connect(device);
      await until(() => changes(events, device).length === 1, 15_000, `${device} connect announced`);
      first.stream.destroy();
      await until(() => changes(events, device).length === 2, 15_000, `${device} drop announced`);
      const second = await t.connect(device);
      await until(() => changes(events, device).length === 3, 15_000, `${device} reconnect announced`);
      await second.endAsync();
      await until(() => changes(events, device).length === 4, 15_000, `${device} disconnect announced`);
    }
    // 24 changes, batches of 5: four full batches are in InfluxDB without waiting for the window
    await until(async () => (await presenceRows(db)).length === 20, 15_000, 'the full batches stored');
    await t.hub.close();
    const rows = await presenceRows(db);
    expect(rows).toHaveLength(24);
    for (const device of devices) {
      const mine = rows.filter((r) => r.device === device).sort((a, b) => a.time - b.time);
      expect(mine.map((r) => `${r.online}:${r.cause}`)).toEqual(['true:connect', 'false:lwt', 'true:connect', 'false:disconnect']);
      expect(changes(events, device)).toEqual(['true:connect', 'false:lwt', 'true:connect', 'false:disconnect']);
    }
  }, 120_000);

  it('presence changes of one device in the same millisecond stay distinct points, in the order they happened', async () => {
    const db = 'gw_presence_same_ms';
    const clock = new ManualClock(Date.now()); // the hub's clock stands still: every change shares one millisecond
    const { t, events } = await hubWith(db, ['smk-ms'], undefined, clock);
    const first = await t.connect('smk-ms');
    await until(() => events.length === 1, 15_000, 'connect announced');
    await first.endAsync();
    await until(() => events.length === 2, 15_000, 'disconnect announced');
    const second = await t.connect('smk-ms');
    await until(() => events.length === 3, 15_000, 'reconnect announced');
    second.stream.destroy();
    await until(() => events.length === 4, 15_000, 'drop announced');
    expect(new Set(events.map((e) => e.ts)).size).toBe(1);
    await t.hub.close();
    const series = await influx.query('SELECT online, cause FROM presence', db);
    // epoch=ms folds the sub-millisecond part away: ask for nanoseconds to see the order
    const ns = await fetch(`${influx.url}/query?${new URLSearchParams({ q: 'SELECT online, cause FROM presence', db, epoch: 'ns' })}`).then((r) => r.json()) as { results: { series?: { values: [number, boolean, string][] }[] }[] };
    expect(series[0]?.values).toHaveLength(4);
    const rows = ns.results[0]?.series?.[0]?.values ?? [];
    expect(rows.map((v) => `${v[1]}:${v[2]}`)).toEqual(['true:connect', 'false:disconnect', 'true:connect', 'false:lwt']);
  }, 120_000);

  it('the changes of many devices within one window are written to InfluxDB in one POST', async () => {
    const db = 'gw_presence_one_post';
    const devices = Array.from({ length: 12 }, (_, i) => `smk-m${i}`);
    const { t, events } = await hubWith(db, devices);
    const writer = t.hub.ctx.store.writer as InfluxWriter;
    const before = writer.stats().posts;
    await Promise.all(devices.map((d) => t.connect(d)));
    await until(() => events.length === devices.length, 15_000, 'every connect announced');
    await t.hub.close(); // drops the clients without recording them (the hub is down, not the devices)
    expect(writer.stats().posts - before).toBe(1);
    expect((await presenceRows(db)).map((r) => r.device).sort()).toEqual([...devices].sort());
  }, 120_000);
});
