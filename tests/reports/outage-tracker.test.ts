// The outage tracker on a real SQLite file: outages written as they end, state kept across a
// restart (an outage spanning the hub's downtime ends at the next data), reconnects counted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { OutageStore } from '../../src/reports/outage-store.js';
import { OutageTracker } from '../../src/reports/outage-tracker.js';
import { until } from '../helpers/hub.js';
import { device } from '../rules/fixtures.js';

const M = 60_000;
const T0 = Date.UTC(2026, 2, 1);
const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function fresh(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-outages-'));
  dirs.push(dir);
  return join(dir, 'outages.db');
}

describe('OutageTracker', () => {
  it('keeps a device\'s state across a restart: the silence over the downtime is one outage, ended by the next data', () => {
    const file = fresh();
    const d = device('noise', { id: 'n1', intervalS: 60 });
    const clock = new ManualClock(T0);
    let store = new OutageStore(file);
    let tr = new OutageTracker(store, clock, 3);
    tr.data(d, T0, 90);
    tr.presence(d, { device: d.id, ts: T0 + M, online: false, cause: 'lwt' });
    tr.presence(d, { device: d.id, ts: T0 + 2 * M - 1, online: true, cause: 'connect' }); // within the grace
    tr.data(d, T0 + 2 * M, 90);
    tr.close();
    store.close();
    // the hub is down for an hour
    clock.set(T0 + 60 * M);
    store = new OutageStore(file);
    tr = new OutageTracker(store, clock, 3);
    tr.data(d, T0 + 61 * M, 89);
    tr.close();
    expect(store.since()).toBe(T0);
    expect(store.outages(T0, T0 + 120 * M)).toEqual([{ device: 'n1', start: T0 + 7 * M, end: T0 + 61 * M, cause: 'silent' }]);
    expect(store.reconnects(T0, T0 + 120 * M)).toEqual([{ device: 'n1', n: 1 }]);
    expect(store.states()[0]).toMatchObject({ device: 'n1', first_seen: T0, first_data: T0, last_seen: T0 + 61 * M, battery: 89 });
    expect(store.batteryDays(T0 - 86_400_000, T0 + 86_400_000)).toEqual([{ device: 'n1', day: T0, sum: 90 + 90 + 89, n: 3 }]);
    store.close();
  });

  it('writes a storm of drops and reconnects together, soon after: each device exactly once, with its times; a clean DISCONNECT is none', async () => {
    const store = new OutageStore(fresh());
    const clock = new ManualClock(T0);
    const tr = new OutageTracker(store, clock, 3);
    const back = Array.from({ length: 300 }, (_, i) => device('smoke', { id: `back-${i}`, intervalS: 60 }));
    const late = Array.from({ length: 100 }, (_, i) => device('smoke', { id: `late-${i}`, intervalS: 60 }));
    const clean = Array.from({ length: 50 }, (_, i) => device('smoke', { id: `clean-${i}`, intervalS: 60 }));
    const all = [...back, ...late, ...clean];
    for (const d of all) tr.data(d, T0, 90);
    // dropped (Last Will) a minute later; `back` returns within the 2-min grace, `late` after it
    // and then sends data; `clean` said DISCONNECT and comes back
    all.forEach((d, i) => tr.presence(d, { device: d.id, ts: T0 + M + i, online: false, cause: clean.includes(d) ? 'disconnect' : 'lwt' }));
    back.forEach((d, i) => tr.presence(d, { device: d.id, ts: T0 + M + 5_000 + i, online: true, cause: 'connect' }));
    clean.forEach((d, i) => tr.presence(d, { device: d.id, ts: T0 + M + 5_000 + i, online: true, cause: 'connect' }));
    late.forEach((d, i) => tr.presence(d, { device: d.id, ts: T0 + 10 * M + i, online: true, cause: 'connect' }));
    late.forEach((d, i) => tr.data(d, T0 + 10 * M + 1_000 + i, 90));
    expect(store.reconnects(T0, T0 + 60 * M)).toEqual([]); // not one statement per device: batched

    await until(() => store.reconnects(T0, T0 + 60 * M).length > 0, 10_000, 'the batch written'); // without a flush()
    const reconnects = store.db.prepare('SELECT device, drop_at AS dropAt, at FROM reconnect ORDER BY device').all();
    expect(reconnects).toEqual(back.map((d) => ({ device: d.id, dropAt: T0 + M + all.indexOf(d), at: T0 + M + 5_000 + back.indexOf(d) })).sort((a, b) => a.device.localeCompare(b.device)));
    const outages = store.outages(T0, T0 + 60 * M).sort((a, b) => a.device.localeCompare(b.device));
    expect(outages).toEqual(late.map((d, i) => ({ device: d.id, start: T0 + M + all.indexOf(d), end: T0 + 10 * M + 1_000 + i, cause: 'lwt' })).sort((a, b) => a.device.localeCompare(b.device)));

    // what the last turn judged before the hub closes is written by close()
    const last = device('smoke', { id: 'last', intervalS: 60 });
    tr.data(last, T0 + 20 * M, 90);
    tr.presence(last, { device: 'last', ts: T0 + 20 * M + 1, online: false, cause: 'lwt' });
    tr.presence(last, { device: 'last', ts: T0 + 20 * M + 2, online: true, cause: 'connect' });
    tr.close();
    expect(store.reconnects(T0 + 20 * M, T0 + 21 * M)).toEqual([{ device: 'last', n: 1 }]);
    store.close();
  });
});
