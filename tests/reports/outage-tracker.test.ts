// The outage tracker on a real SQLite file: outages written as they end, state kept across a
// restart (an outage spanning the hub's downtime ends at the next data), reconnects counted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { OutageStore } from '../../src/reports/outage-store.js';
import { OutageTracker } from '../../src/reports/outage-tracker.js';
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
});
