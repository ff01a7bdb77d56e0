import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InfluxDB } from 'influx';
import type { ReportDigest } from '../../src/core/report-digest.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiteIndex } from '../../src/config/site.js';
import type { ReportDeps } from '../../src/reports/handlers.js';
import pg from 'pg';
import { pino } from 'pino';
import { reportClaims } from '../../src/cluster/report-claims.js';
import { runDailyReports, runMonthlyReports, startReportSchedule, type MorningReport, type ReportSchedule } from '../../src/reports/schedule.js';
import { silentLogger } from '../../src/core/logger.js';
import { createInfluxClient } from '../../src/store/client.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestPostgres } from '../helpers/postgres.js';
import { line, siteConfig, writeLines } from './fixtures.js';

const DB = 'gw_schedule';
// 2026-03-05 in Asia/Shanghai is 2026-03-04T16:00Z .. 2026-03-05T16:00Z; its night 14:00Z .. 22:00Z on 03-05.
const DAY = Date.UTC(2026, 2, 4, 16);
const NIGHT = Date.UTC(2026, 2, 5, 14);
const NOW = Date.UTC(2026, 2, 5, 23); // 07:00 local on 03-06

describe('scheduled reports', () => {
  let influxd: TestInflux;
  let influx: InfluxDB;
  let dir: string;
  let deps: ReportDeps;

  beforeAll(async () => {
    influxd = await startTestInflux();
    await influxd.createDb(DB);
    const lines: string[] = [];
    for (let h = -2; h < 24; h++) lines.push(line.reading('smoke', 'smk-steady', DAY + h * 3_600_000, 'alarm=false'));
    for (let k = 0; k < 48; k++) {
      lines.push(line.reading('noise', 'noise-b3', NIGHT + k * 600_000, 'laeq=49,lmax=50'));
      lines.push(line.reading('noise', 'noise-b2', NIGHT + k * 600_000, 'laeq=49,lmax=50'));
    }
    await writeLines(influxd.url, DB, lines);
    influx = createInfluxClient({ url: influxd.url, database: DB });
    const config = siteConfig();
    deps = { config, site: new SiteIndex(config), store: { influx, database: DB }, clock: { now: () => NOW } };
    dir = mkdtempSync(join(tmpdir(), 'gw-sched-'));
  });
  afterAll(async () => {
    await influxd?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the daily run writes yesterday\'s uptime, last night\'s noise and the morning report as JSON + CSV', async () => {
    const files = await runDailyReports(deps, dir, NOW);
    const r = (name: string) => join(dir, 'reports', name);
    expect(files.sort()).toEqual([
      r('noise-morning-2026-03-05.json'), r('noise-night-2026-03-05.csv'), r('noise-night-2026-03-05.json'),
      r('uptime-daily-2026-03-05.csv'), r('uptime-daily-2026-03-05.json'),
    ]);
    const uptime = JSON.parse(readFileSync(r('uptime-daily-2026-03-05.json'), 'utf8')) as { from: number; to: number; devices: Array<{ device: string; uptimePct: number }> };
    expect([uptime.from, uptime.to]).toEqual([DAY, DAY + 24 * 3_600_000]);
    expect(uptime.devices.find((d) => d.device === 'smk-steady')?.uptimePct).toBe(100);
    // 49 dB is over zone 1 (45) in b3 but under zone 2 (50) in b2: only g1 makes the morning report
    const morning = JSON.parse(readFileSync(r('noise-morning-2026-03-05.json'), 'utf8')) as MorningReport;
    expect(morning.grids.map((g) => [g.grid, g.buildings.map((b) => b.building)])).toEqual([['g1', ['b3']]]);
    expect(readFileSync(r('noise-night-2026-03-05.csv'), 'utf8').split('\r\n')[1]).toMatch(/^2026-03-05,b3,3号楼,g1,1,45,49,50,480,0,true$/);
  });

  it('after writing the files, the daily run hands the uptime and morning digests to send', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gw-sched-send-'));
    const got: ReportDigest[] = [];
    const existedWhenSent: boolean[] = [];
    try {
      await runDailyReports(deps, out, NOW, async (d) => {
        got.push(d);
        existedWhenSent.push(d.files.every((f) => existsSync(join(out, 'reports', f))));
      });
      expect(got.map((d) => [d.kind, d.period])).toEqual([['uptime-daily', '2026-03-05'], ['noise-morning', '2026-03-05']]);
      expect(existedWhenSent).toEqual([true, true]);
      const [uptime, morning] = got;
      expect(uptime?.files).toEqual(['uptime-daily-2026-03-05.json', 'uptime-daily-2026-03-05.csv']);
      expect(uptime?.kind === 'uptime-daily' && uptime.summary.devices).toBeGreaterThan(0);
      expect(morning?.files).toEqual(['noise-night-2026-03-05.json', 'noise-night-2026-03-05.csv', 'noise-morning-2026-03-05.json']);
      // 49 dB in b3 (zone 1, limit 45) breaks; b2 (zone 2, limit 50) does not
      expect(morning?.kind === 'noise-morning' && morning.summary.grids).toEqual([
        { grid: 'g1', gridName: '第一网格', building: 'b3', buildingName: '3号楼', laeq: 49, limit: 45, buildings: 1 },
      ]);
      const monthly: ReportDigest[] = [];
      await runMonthlyReports(deps, out, Date.UTC(2026, 3, 1, 0), async (d) => void monthly.push(d));
      expect(monthly.map((d) => [d.kind, d.period, d.files])).toEqual([['uptime-monthly', '2026-03', ['uptime-monthly-2026-03.json', 'uptime-monthly-2026-03.csv']]]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a quiet night sends no morning digest', async () => {
    const quiet = { ...deps, config: { ...deps.config, reports: { ...deps.config.reports, night: { from: '06:00', to: '07:00' } } } };
    const out = mkdtempSync(join(tmpdir(), 'gw-sched-quiet-'));
    const got: string[] = [];
    try {
      await runDailyReports(quiet, out, NOW, async (d) => void got.push(d.kind));
      expect(got).toEqual(['uptime-daily']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('the cron schedule runs the daily job in the config zone and stops', async () => {
    const everySecond = { ...deps, config: { ...deps.config, reports: { ...deps.config.reports, dailyCron: '* * * * * *' } } };
    const out = mkdtempSync(join(tmpdir(), 'gw-sched-cron-'));
    const schedule = startReportSchedule(everySecond, out, silentLogger());
    try {
      const want = join(out, 'reports', 'noise-morning-2026-03-05.json');
      const deadline = Date.now() + 30_000;
      while (!existsSync(want) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(want)).toBe(true);
    } finally {
      await schedule.stop();
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('with claims (cluster mode): the hub holding the report dies mid-run; the other, finding it held, asks again and writes it', async () => {
    const [postgres, frozen] = await Promise.all([startTestPostgres(), startTestInflux()]);
    const pools = [0, 1].map(() => new pg.Pool({ connectionString: postgres.url }));
    for (const p of pools) p.on('error', () => undefined);
    // each schedule fires once within the test (one second of the minute), as a daily cron would:
    // what hub b writes, it writes because it asked again after finding the report held
    const onceSoon = (d: ReportDeps): ReportDeps => ({ ...d, config: { ...d.config, reports: { ...d.config.reports, dailyCron: `${(new Date().getSeconds() + 2) % 60} * * * * *` } } });
    // hub a's InfluxDB is frozen (SIGSTOP): its run hangs after it claimed the period
    frozen.child.kill('SIGSTOP');
    const hung: ReportDeps = { ...deps, store: { influx: createInfluxClient({ url: frozen.url, database: DB }), database: DB } };
    const outs = [mkdtempSync(join(tmpdir(), 'gw-sched-a-')), mkdtempSync(join(tmpdir(), 'gw-sched-b-'))];
    const schedules: ReportSchedule[] = [];
    const runs = async () => postgres.query<{ hub: string; done: boolean }>("SELECT hub, done_at IS NOT NULL AS done FROM gw_report_runs WHERE report = 'daily' AND period = '2026-03-05'");
    try {
      schedules.push(startReportSchedule(onceSoon(hung), outs[0] as string, silentLogger(), undefined, reportClaims(pools[0] as pg.Pool, 'hub-a', 3_000)));
      const deadline = Date.now() + 60_000;
      while ((await runs().catch(() => [])).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await runs()).toEqual([{ hub: 'hub-a', done: false }]);
      // hub a dies: its claim is no longer refreshed (its PostgreSQL sessions are gone)
      await (pools[0] as pg.Pool).end();
      await (schedules.shift() as ReportSchedule).stop();
      const bLogs: string[] = [];
      const bLogger = pino({ level: 'info' }, { write: (line: string) => void bLogs.push(line) });
      schedules.push(startReportSchedule(onceSoon(deps), outs[1] as string, bLogger, undefined, reportClaims(pools[1] as pg.Pool, 'hub-b', 3_000)));
      while (!((await runs())[0]?.done === true) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await runs()).toEqual([{ hub: 'hub-b', done: true }]);
      expect(bLogs.some((l) => l.includes('left to the hub that claimed it'))).toBe(true); // b found it held first
      expect(existsSync(join(outs[1] as string, 'reports', 'noise-morning-2026-03-05.json'))).toBe(true);
      expect(existsSync(join(outs[0] as string, 'reports', 'noise-morning-2026-03-05.json'))).toBe(false);
    } finally {
      for (const sch of schedules) await sch.stop();
      frozen.child.kill('SIGCONT');
      await Promise.all(pools.filter((p) => !p.ended).map((p) => p.end()));
      await Promise.all([postgres.cleanup(), frozen.cleanup()]);
      for (const out of outs) rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);

  it('the monthly run audits the previous month', async () => {
    const files = await runMonthlyReports(deps, dir, Date.UTC(2026, 3, 1, 0));
    expect(files.map((f) => f.split('/').pop())).toEqual(['uptime-monthly-2026-03.json', 'uptime-monthly-2026-03.csv']);
    expect(existsSync(files[1] as string)).toBe(true);
  });
});
