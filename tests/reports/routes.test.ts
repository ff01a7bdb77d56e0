import Fastify, { type FastifyInstance } from 'fastify';
import type { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GridwatchError } from '../../src/core/errors.js';
import { SiteIndex } from '../../src/config/site.js';
import { uptimeReportHandler, type ReportDeps } from '../../src/reports/handlers.js';
import { registerReportRoutes } from '../../src/reports/routes.js';
import { createInfluxClient } from '../../src/store/client.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { line, siteConfig, writeLines } from './fixtures.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 10);
const DB = 'gw_routes';

describe('report routes over real HTTP', () => {
  let influxd: TestInflux;
  let influx: InfluxDB;
  let app: FastifyInstance;
  let base: string;
  let deps: ReportDeps;

  beforeAll(async () => {
    influxd = await startTestInflux();
    await influxd.createDb(DB);
    const lines: string[] = [];
    for (let h = -2; h < 24; h++) lines.push(line.reading('smoke', 'smk-steady', T0 + h * H, 'alarm=false'));
    for (let k = 0; k < 48; k++) lines.push(line.reading('noise', 'noise-b2', Date.UTC(2026, 0, 10, 14) + k * 600_000, 'laeq=55,lmax=57'));
    await writeLines(influxd.url, DB, lines);
    influx = createInfluxClient({ url: influxd.url, database: DB });
    const config = siteConfig();
    deps = { config, site: new SiteIndex(config), store: { influx, database: DB }, clock: { now: () => T0 + 30 * H } };
    app = Fastify();
    // the test's stand-in for the API's auth: the caller's grids come in a header
    registerReportRoutes(app, deps, (req) => {
      const g = req.headers['x-grids'];
      if (typeof g !== 'string') throw new GridwatchError('GW_ERR_API_AUTH', 'not logged in');
      return g === 'all' ? 'all' : g.split(',');
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await influxd?.cleanup();
  });

  const get = (path: string, grids?: string) => fetch(`${base}${path}`, { headers: grids === undefined ? {} : { 'x-grids': grids } });
  const from = new Date(T0).toISOString();
  const to = new Date(T0 + 24 * H).toISOString();

  it('GET /api/v1/reports/uptime answers JSON, and CSV on format=csv', async () => {
    const res = await get(`/api/v1/reports/uptime?from=${from}&to=${to}&grid=g1`, 'all');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { devices: Array<{ device: string; uptimePct: number }> };
    expect(body.devices.find((d) => d.device === 'smk-steady')?.uptimePct).toBe(100);
    const csv = await get(`/api/v1/reports/uptime?from=${from}&to=${to}&device=smk-steady&format=csv`, 'all');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await csv.text()).split('\r\n')[1]).toMatch(/^smk-steady,smoke,g1,b1,100,0,/);
  });

  it('a caller sees only their grids and is refused another grid', async () => {
    const res = await get(`/api/v1/reports/uptime?from=${from}&to=${to}`, 'g2');
    const body = (await res.json()) as { devices: Array<{ grid: string }> };
    expect(new Set(body.devices.map((d) => d.grid))).toEqual(new Set(['g2']));
    const denied = await get(`/api/v1/reports/uptime?from=${from}&grid=g1`, 'g2');
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ code: 'GW_ERR_API_FORBIDDEN', details: { grid: 'g1' } });
    expect((await get(`/api/v1/reports/uptime?from=${from}`)).status).toBe(401);
  });

  it('bad input is a 400 naming the field', async () => {
    const res = await get(`/api/v1/reports/uptime?from=yesterday`, 'all');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'GW_ERR_REPORT_RANGE', details: { field: 'from', value: 'yesterday' } });
    const night = await get('/api/v1/reports/noise', 'all');
    expect(await night.json()).toMatchObject({ code: 'GW_ERR_REPORT_RANGE', details: { field: 'night' } });
  });

  it('the handler counts the alerting stage\'s silences as maintenance windows', async () => {
    const alerts = { listSilences: async () => [{ scope: { building: 'b1' }, from: T0 + 2 * H, until: T0 + 5 * H }] };
    const r = await uptimeReportHandler({ ...deps, alerts }, { from, to, device: 'smk-steady' });
    if (r.format !== 'json') throw new Error('expected json');
    expect(r.body.devices[0]).toMatchObject({ silencedMs: 3 * H, plannedMs: 0, uptimePct: 100 });
  });

  it('GET /api/v1/reports/noise answers the night report', async () => {
    const res = await get('/api/v1/reports/noise?night=2026-01-10&building=b2', 'g2');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { buildings: Array<{ building: string; laeq: number; breach: boolean }>; breachedGrids: string[] };
    expect(body.buildings).toHaveLength(1);
    expect(body.buildings[0]?.laeq).toBeCloseTo(55, 8);
    expect(body.breachedGrids).toEqual(['g2']);
  });
});
