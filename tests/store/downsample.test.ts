import type { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDownsampling, backfillDownsampling, downsampleQueries } from '../../src/store/downsample.js';
import { createInfluxClient } from '../../src/store/client.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';

const DB = 'gw_ds';
const T0 = Date.UTC(2026, 0, 10, 8);
const TAGS = 'device=d1,street=s,community=c,grid=g,building=b';

describe('downsampling', () => {
  let influxd: TestInflux;
  let influx: InfluxDB;

  beforeAll(async () => {
    influxd = await startTestInflux();
    await influxd.createDb(DB);
    influx = createInfluxClient({ url: influxd.url, database: DB });
  });
  afterAll(async () => {
    await influxd?.cleanup();
  });

  it('creates the retention policies and one continuous query per kind plus the noise hour, idempotently', async () => {
    await applyDownsampling(influx, DB);
    await applyDownsampling(influx, DB);
    const rps = rows(await influxd.query(`SHOW RETENTION POLICIES ON ${DB}`)).map((r) => [r.name, r.duration]);
    expect(rps).toEqual(expect.arrayContaining([['rp_5m', '9600h0m0s'], ['rp_1h', '0s']]));
    const cqs = (await influx.showContinousQueries(DB)).map((r) => r.name).sort();
    expect(cqs).toEqual(downsampleQueries().map((q) => q.name).sort());
    expect(cqs).toEqual(['cq_noise_1h', 'cq_readings_5m_gas', 'cq_readings_5m_noise', 'cq_readings_5m_smoke', 'cq_readings_5m_water']);
  });

  it('counts readings per device per 5 minutes with the mean battery', async () => {
    const lines = [0, 1, 2, 6, 7, 12].map((m, i) => `smoke,${TAGS} alarm=false,battery=${80 - i} ${T0 + m * 60_000}`);
    const res = await fetch(`${influxd.url}/write?db=${DB}&precision=ms`, { method: 'POST', body: lines.join('\n') });
    expect(res.status).toBe(204);
    await backfillDownsampling(influx, DB, T0, T0 + 15 * 60_000);
    const r = rows(await influxd.query('SELECT n, battery, device, grid FROM rp_5m.readings_5m', DB));
    // buckets 0-5 min: 3 readings (80, 79, 78); 5-10: 2 (77, 76); 10-15: 1 (75)
    expect(r).toEqual([
      { time: T0, n: 3, battery: 79, device: 'd1', grid: 'g' },
      { time: T0 + 300_000, n: 2, battery: 76.5, device: 'd1', grid: 'g' },
      { time: T0 + 600_000, n: 1, battery: 75, device: 'd1', grid: 'g' },
    ]);
  });
});
