import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxDB } from 'influx';
import { SiteIndex } from '../../src/config/site.js';
import { nightNoise, noiseNights, type NoiseReport } from '../../src/reports/noise.js';
import { laeqFromEnergy } from '../../src/reports/noise-math.js';
import { createInfluxClient, ensureDatabase } from '../../src/store/client.js';
import { backfillDownsampling } from '../../src/store/downsample.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { line, siteConfig, writeLines } from './fixtures.js';

const M = 60_000;
const DB = 'gw_noise';
// Nights of 2026-03-01 .. 03-07 in Asia/Shanghai: 22:00-06:00 local = 14:00Z-22:00Z.
const nightStart = (i: number): number => Date.UTC(2026, 2, 1 + i, 14);
const WINDOW = { from: '22:00', to: '06:00' };

// Known answers, computed by hand:
//  noise-b1 (zone 1, limit 45): 40 + i dB all night i, so night LAeq = 40 + i; on night 3 one
//    reading at 22:30 has lmax 65 (impulsive and above 45 + 15).
//  noise-b3 (zone 1): 35 dB, except night 2 01:00-02:00 local at 60 dB (6 readings):
//    LAeq = 10·log10((42·10^3.5 + 6·10^6)/48) = 51.064 dB; 60 minutes above the limit.
//  noise-b2 (zone 2, limit 50): 48 dB every night, never a breach.
//  Readings at 21:50 and 06:00 local are 90 dB and must fall outside the night.
function week(): string[] {
  const l: string[] = [];
  for (let i = 0; i < 7; i++) {
    const s = nightStart(i);
    for (let k = 0; k < 48; k++) {
      const ts = s + k * 10 * M;
      const lmax = i === 3 && k === 3 ? 65 : 40 + i + 3;
      l.push(line.reading('noise', 'noise-b1', ts, `laeq=${40 + i},lmax=${lmax},interval_s=600i`));
      const loud = i === 2 && k >= 18 && k < 24;
      l.push(line.reading('noise', 'noise-b3', ts, `laeq=${loud ? 60 : 35},lmax=${loud ? 62 : 38}`));
      l.push(line.reading('noise', 'noise-b2', ts, 'laeq=48,lmax=50'));
    }
    for (const d of ['noise-b1', 'noise-b3', 'noise-b2']) {
      l.push(line.reading('noise', d, s - 10 * M, 'laeq=90,lmax=95'), line.reading('noise', d, s + 8 * 60 * M, 'laeq=90,lmax=95'));
    }
  }
  return l;
}

const building = (r: NoiseReport, id: string) => {
  const b = r.buildings.find((x) => x.building === id);
  if (!b) throw new Error(`no ${id}`);
  return b;
};

describe('nightNoise against a real influxd', () => {
  let influxd: TestInflux;
  let influx: InfluxDB;
  const site = new SiteIndex(siteConfig());

  beforeAll(async () => {
    influxd = await startTestInflux();
    influx = createInfluxClient({ url: influxd.url, database: DB });
    await ensureDatabase(influx, DB);
    await writeLines(influxd.url, DB, week());
  });
  afterAll(async () => {
    await influxd?.cleanup();
  });

  it('gives every night of the week its known LAeq, minutes above and breach', async () => {
    for (let i = 0; i < 7; i++) {
      const r = await nightNoise(influx, DB, site, { night: `2026-03-0${1 + i}`, timezone: 'Asia/Shanghai', window: WINDOW });
      expect(r.from).toBe(nightStart(i));
      const b1 = building(r, 'b1');
      expect(b1.laeq).toBeCloseTo(40 + i, 8);
      expect(b1.minutesAbove).toBe(40 + i > 45 ? 480 : 0);
      expect(b1.limit).toBe(45);
      expect(b1.devices[0]?.hourly).toHaveLength(8);
      expect(building(r, 'b2')).toMatchObject({ limit: 50, breach: false, impulses: 0, lmax: 50 });
      expect(building(r, 'b2').laeq).toBeCloseTo(48, 8);
      if (i === 2) {
        expect(building(r, 'b3').laeq).toBeCloseTo(51.064, 2);
        expect(building(r, 'b3').minutesAbove).toBe(60);
        expect(building(r, 'b3').devices[0]?.hourly[3]?.laeq).toBeCloseTo(60, 8);
        expect(r.buildings.map((b) => b.building)).toEqual(['b3', 'b2', 'b1']);
        expect(r.breachedGrids).toEqual(['g1']);
      } else {
        expect(building(r, 'b3').laeq).toBeCloseTo(35, 8);
      }
      expect(building(r, 'b1').impulses).toBe(i === 3 ? 1 : 0);
      // night 3 breaks it by the impulse above limit + 15, night 6 by LAeq 46 > 45
      expect(r.breachedGrids).toEqual(i === 2 || i === 3 || i === 6 ? ['g1'] : []);
    }
  });

  it('narrows to one building', async () => {
    const r = await nightNoise(influx, DB, site, { night: '2026-03-04', building: 'b1', timezone: 'Asia/Shanghai', window: WINDOW });
    expect(r.buildings.map((b) => b.building)).toEqual(['b1']);
    expect(r.buildings[0]?.devices[0]?.impulses).toEqual([{ ts: nightStart(3) + 30 * M, laeq: 43, lmax: 65, reasons: ['impulsive', 'over_limit'] }]);
  });

  it('ranks building-nights across the week', async () => {
    const ranked = await noiseNights(influx, DB, site, { first: '2026-03-01', last: '2026-03-07', timezone: 'Asia/Shanghai', window: WINDOW });
    expect(ranked).toHaveLength(21);
    expect([ranked[0]?.building, ranked[0]?.night]).toEqual(['b3', '2026-03-03']);
    expect(ranked.slice(1, 8).every((b) => b.building === 'b2')).toBe(true);
    expect([ranked[8]?.building, ranked[8]?.night]).toEqual(['b1', '2026-03-07']);
  });

  it('the hourly downsampled copy keeps the energy sum, so LAeq comes back exactly', async () => {
    await backfillDownsampling(influx, DB, nightStart(2), nightStart(2) + 8 * 3_600_000);
    const r = rows(await influxd.query(`SELECT energy, n, lmax FROM rp_1h.noise_1h WHERE device = 'noise-b3' AND time = ${nightStart(2) + 3 * 3_600_000}ms`, DB));
    expect(r).toHaveLength(1);
    expect(r[0]?.n).toBe(6);
    expect(laeqFromEnergy(r[0]?.energy as number, r[0]?.n as number)).toBeCloseTo(60, 8);
    expect(r[0]?.lmax).toBe(62);
  });

  it('refuses a malformed night, naming the field', async () => {
    await expect(nightNoise(influx, DB, site, { night: '2026-3-1', timezone: 'Asia/Shanghai', window: WINDOW })).rejects.toMatchObject({ code: 'GW_ERR_REPORT_RANGE', field: 'night' });
    await expect(nightNoise(influx, DB, site, { night: '2026-03-01', timezone: 'Mars/Base', window: WINDOW })).rejects.toMatchObject({ field: 'timezone' });
  });
});
