import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxDB } from 'influx';
import { SiteIndex } from '../../src/config/site.js';
import { auditUptime, type UptimeReport } from '../../src/reports/uptime.js';
import { createInfluxClient, ensureDatabase } from '../../src/store/client.js';
import { backfillDownsampling } from '../../src/store/downsample.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { line, siteConfig, writeLines } from './fixtures.js';

const H = 3_600_000;
const M = 60_000;
const T0 = Date.UTC(2026, 0, 10);
const at = (h: number): number => T0 + h * H;
const DB = 'gw_uptime';

// A day [T0, T0+24h) of synthetic histories:
//  smk-steady  hourly readings from 6 h before the day: always up
//  smk-across  lwt 2 h before the day, back at +3 h, silent after +20 h: outages over both boundaries
//  gas-flap    a reading a minute; a 30 s lwt drop at +2 h (reconnect), a 10 min lwt outage at +4 h
//  wat-new     first seen at +6 h, hourly
//  wat-never   nothing
function history(): string[] {
  const l: string[] = [];
  for (let h = -6; h < 24; h++) l.push(line.reading('smoke', 'smk-steady', at(h), `alarm=false,battery=${90 - (h + 6) * 0.1}`));
  l.push(line.presence('smk-steady', at(-6) - M, true, 'connect'));
  for (let h = -5; h <= -2.5; h += 0.5) l.push(line.reading('smoke', 'smk-across', at(h), 'alarm=false'));
  l.push(line.presence('smk-across', at(-2), false, 'lwt'), line.presence('smk-across', at(3), true, 'connect'));
  for (let h = 3; h <= 20; h++) l.push(line.reading('smoke', 'smk-across', at(h), 'alarm=false'));
  for (let m = -10; m < 24 * 60; m++) if (m < 240 || m >= 250) l.push(line.reading('gas', 'gas-flap', T0 + m * M, 'lel=0'));
  l.push(line.presence('gas-flap', T0 + 120 * M + 15_000, false, 'lwt'), line.presence('gas-flap', T0 + 120 * M + 45_000, true, 'connect'));
  l.push(line.presence('gas-flap', T0 + 240 * M, false, 'lwt'), line.presence('gas-flap', T0 + 250 * M, true, 'connect'));
  for (let h = 6; h < 24; h++) l.push(line.reading('water', 'wat-new', at(h), 'leak=false'));
  return l;
}

const byId = (r: UptimeReport, id: string) => {
  const d = r.devices.find((x) => x.device === id);
  if (!d) throw new Error(`no ${id}`);
  return d;
};

describe('auditUptime against a real influxd', () => {
  let influxd: TestInflux;
  let influx: InfluxDB;
  const site = new SiteIndex(siteConfig());
  const silences = [{ scope: { device: 'smk-across' }, from: new Date(at(22)).toISOString(), until: new Date(at(26)).toISOString() }];

  beforeAll(async () => {
    influxd = await startTestInflux();
    influx = createInfluxClient({ url: influxd.url, database: DB });
    await ensureDatabase(influx, DB);
    await writeLines(influxd.url, DB, history());
    await backfillDownsampling(influx, DB, at(-7), at(24));
  });
  afterAll(async () => {
    await influxd?.cleanup();
  });

  it('judges each history from raw readings and presence', async () => {
    const r = await auditUptime(influx, DB, site, { from: at(0), to: at(24), offlineFactor: 3, silences, source: 'raw', scope: { community: 'c1' } });
    expect(r.source).toBe('raw');
    const steady = byId(r, 'smk-steady');
    expect(steady.uptimePct).toBe(100);
    expect(steady.lastBattery).toBeCloseTo(87.1, 6);
    expect(steady.batteryTrendPerDay).toBeCloseTo(-2.4, 6);

    const across = byId(r, 'smk-across');
    expect(across.intervals).toEqual([
      { start: at(0), end: at(3), durationMs: 3 * H, cause: 'lwt', planned: false, ongoing: false, startedBefore: true },
      { start: at(23), end: at(24), durationMs: H, cause: 'silent', planned: true, ongoing: true, startedBefore: false },
    ]);
    // silence 22..24 h is left out: (22 - 3) / 22
    expect(across.uptimePct).toBeCloseTo((100 * 19) / 22, 8);

    const flap = byId(r, 'gas-flap');
    expect(flap.reconnects).toBe(1);
    expect(flap.outages).toBe(1);
    expect(flap.intervals).toEqual([{ start: T0 + 240 * M, end: T0 + 250 * M, durationMs: 10 * M, cause: 'lwt', planned: false, ongoing: false, startedBefore: false }]);
    expect(flap.mttrMs).toBe(10 * M);

    const fresh = byId(r, 'wat-new');
    expect(fresh.firstSeen).toBe(at(6));
    expect(fresh.uptimePct).toBe(100);

    const never = byId(r, 'wat-never');
    expect(never.intervals.map((i) => i.cause)).toEqual(['never_seen']);
    expect(never.uptimePct).toBe(0);
    // wat-never and the three noise meters (this history writes no noise)
    expect(r.summary.neverSeen).toBe(4);
  });

  it('agrees within the 5-minute bucket resolution on the downsampled copy', async () => {
    const raw = await auditUptime(influx, DB, site, { from: at(0), to: at(24), offlineFactor: 3, silences, source: 'raw' });
    const ds = await auditUptime(influx, DB, site, { from: at(0), to: at(24), offlineFactor: 3, silences, source: 'auto' });
    expect(ds.source).toBe('downsampled');
    for (const d of raw.devices) {
      const o = byId(ds, d.device);
      expect(o.intervals.map((i) => i.cause)).toEqual(d.intervals.map((i) => i.cause));
      expect(o.outages).toBe(d.outages);
      for (const [k, i] of d.intervals.entries()) {
        expect(Math.abs((o.intervals[k]?.start ?? 0) - i.start)).toBeLessThanOrEqual(5 * M);
        expect(Math.abs((o.intervals[k]?.end ?? 0) - i.end)).toBeLessThanOrEqual(5 * M);
      }
    }
    expect(byId(ds, 'wat-new').firstSeen).toBeGreaterThanOrEqual(at(6));
    expect(byId(ds, 'wat-new').firstSeen).toBeLessThan(at(6) + 5 * M);
  });

  it('server-side gap detection gives exactly the raw answer, and is what auto picks for slow reporters', async () => {
    const raw = await auditUptime(influx, DB, site, { from: at(0), to: at(24), offlineFactor: 3, silences, source: 'raw' });
    const gaps = await auditUptime(influx, DB, site, { from: at(0), to: at(24), offlineFactor: 3, silences, source: 'gaps' });
    expect(gaps.source).toBe('gaps');
    const strip = (r: UptimeReport) => r.devices.map(({ lastBattery: _l, batteryTrendPerDay: _t, ...rest }) => rest);
    expect(strip(gaps)).toEqual(strip(raw));
    expect(byId(gaps, 'smk-steady').lastBattery).toBeCloseTo(87.1, 6);
    // from daily means plus the last value: close to, not exactly, the per-reading slope
    expect(byId(gaps, 'smk-steady').batteryTrendPerDay).toBeCloseTo(-2.4, 0);
    const slow = await auditUptime(influx, DB, site, { from: at(0), to: at(24), offlineFactor: 3, scope: { device: 'smk-across' } });
    expect(slow.source).toBe('gaps');
  });

  it('limits the audit to a grid and to visible grids', async () => {
    const g2 = await auditUptime(influx, DB, site, { from: at(0), to: at(24), offlineFactor: 3, scope: { grid: 'g2' } });
    expect(g2.devices.map((d) => d.device)).toEqual(['noise-b2', 'wat-never', 'wat-new']);
    const seen = await auditUptime(influx, DB, site, { from: at(0), to: at(24), offlineFactor: 3, grids: ['g2'], scope: { community: 'c1' } });
    expect(seen.devices.map((d) => d.grid)).toEqual(['g2', 'g2', 'g2']);
  });

  it('refuses a bad period or an unknown scope, naming the field', async () => {
    await expect(auditUptime(influx, DB, site, { from: at(2), to: at(1), offlineFactor: 3 })).rejects.toMatchObject({ code: 'GW_ERR_REPORT_RANGE', field: 'to' });
    await expect(auditUptime(influx, DB, site, { from: at(0), to: at(1), offlineFactor: 3, scope: { grid: 'nope' } })).rejects.toMatchObject({ code: 'GW_ERR_REPORT_RANGE', field: 'grid', value: 'nope' });
  });
});
