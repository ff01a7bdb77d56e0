import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxClient } from '../../src/store/client.js';
import { countPoints, latest, parseSeries, querySeries } from '../../src/store/query.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { BASE_TS } from './fixtures/points.js';

describe('parseSeries', () => {
  it('turns a raw answer into rows keyed by column, time in ms', () => {
    const raw = { results: [{ series: [{ name: 'gas', tags: { device: 'a' }, columns: ['time', 'lel', 'valve'], values: [[BASE_TS, 1.5, 'open']] }] }] };
    expect(parseSeries(raw)).toEqual([{ name: 'gas', tags: { device: 'a' }, rows: [{ time: BASE_TS, lel: 1.5, valve: 'open' }] }]);
    expect(parseSeries({ results: [{}] })).toEqual([]);
    expect(parseSeries(null)).toEqual([]);
  });

  it('raises the error InfluxDB put in the answer', () => {
    expect(() => parseSeries({ results: [{ error: 'database not found: x' }] })).toThrowError(/database not found: x/);
  });
});

describe('query helpers against a real influxd', () => {
  let influx: TestInflux;
  beforeAll(async () => {
    influx = await startTestInflux();
    await influx.createDb('q');
    const lines = [
      `gas,device=a,grid=g1 lel=1.5,seq=1i ${BASE_TS}`,
      `gas,device=a,grid=g1 lel=7,seq=2i ${BASE_TS + 1000}`,
      `gas,device=b,grid=g1 lel=3,seq=9i ${BASE_TS + 500}`,
      `gas,device=it's lel=4,seq=1i ${BASE_TS + 200}`,
    ];
    const res = await fetch(`${influx.url}/write?db=q&precision=ms`, { method: 'POST', body: lines.join('\n') });
    expect(res.status).toBe(204);
  });
  afterAll(async () => {
    await influx?.cleanup();
  });

  it('latest gives the newest point of one device, or undefined', async () => {
    const client = createInfluxClient({ url: influx.url, database: 'q' });
    expect(await latest(client, 'gas', 'a')).toEqual({ time: BASE_TS + 1000, lel: 7, seq: 2, device: 'a', grid: 'g1' });
    expect(await latest(client, 'gas', "it's")).toMatchObject({ time: BASE_TS + 200, lel: 4 });
    expect(await latest(client, 'gas', 'nobody')).toBeUndefined();
  });

  it('countPoints counts a field over a half-open time range', async () => {
    const client = createInfluxClient({ url: influx.url, database: 'q' });
    expect(await countPoints(client, 'gas', 'lel', BASE_TS, BASE_TS + 1000)).toBe(3);
    expect(await countPoints(client, 'gas', 'lel', BASE_TS, BASE_TS + 1001)).toBe(4);
    expect(await countPoints(client, 'noise', 'laeq', BASE_TS, BASE_TS + 1001)).toBe(0);
  });

  it('querySeries groups by tag', async () => {
    const client = createInfluxClient({ url: influx.url, database: 'q' });
    const s = await querySeries(client, 'SELECT max(lel) FROM gas WHERE grid = \'g1\' GROUP BY device');
    expect(s.map((x) => [x.tags.device, x.rows[0]?.max])).toEqual([['a', 7], ['b', 3]]);
  });
});
