// Scheduled reports (node-cron, in the config time zone): daily at config.reports.dailyCron
// (default 07:00) — yesterday's uptime audit, last night's noise report and the morning list of
// grids whose night broke the limit; monthly at config.reports.monthlyCron (default the 1st,
// 07:00) — last month's uptime audit. Written as JSON + CSV under <dataDir>/reports/; then each
// report's digest goes to the injected `send` (the hub passes the notify stage's sender; the
// morning noise digest only when some grid broke the limit).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import cron from 'node-cron';
import type { Logger } from '../core/logger.js';
import type { SendDigest } from '../core/report-digest.js';
import { morningDigest, uptimeDigest } from './digest.js';
import { noiseRows, toCsv, uptimeRows } from './format.js';
import { allSilences, type ReportDeps } from './handlers.js';
import { nightNoise, type NoiseReport } from './noise.js';
import { localDate, zonedToUtc } from './tz.js';
import { auditUptime, type UptimeReport } from './uptime.js';
import { recordsFile } from './outage-store.js';

/** The local day before the one holding `now`: [00:00, 24:00) in `tz`. */
export function previousDay(now: number, tz: string): { date: string; from: number; to: number } {
  const today = localDate(now, tz);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
  return { date, from: zonedToUtc(date, '00:00', tz), to: zonedToUtc(today, '00:00', tz) };
}

/** The local calendar month before the one holding `now`. */
export function previousMonth(now: number, tz: string): { month: string; from: number; to: number } {
  const [y, m] = localDate(now, tz).split('-').map(Number) as [number, number];
  const first = new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 10);
  const thisFirst = new Date(Date.UTC(y, m - 1, 1)).toISOString().slice(0, 10);
  return { month: first.slice(0, 7), from: zonedToUtc(first, '00:00', tz), to: zonedToUtc(thisFirst, '00:00', tz) };
}

export interface MorningReport { night: string; grids: Array<{ grid: string; buildings: NoiseReport['buildings'] }> }

async function save(dir: string, name: string, json: unknown, csv?: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = [join(dir, `${name}.json`)];
  await writeFile(files[0] as string, `${JSON.stringify(json, null, 2)}\n`);
  if (csv !== undefined) {
    files.push(join(dir, `${name}.csv`));
    await writeFile(files[1] as string, csv);
  }
  return files;
}

async function uptimeFor(deps: ReportDeps, from: number, to: number, now: number): Promise<UptimeReport> {
  return auditUptime(deps.store.influx, deps.store.database, deps.site, {
    from, to, offlineFactor: deps.config.reports.offlineFactor, silences: await allSilences(deps), now, records: recordsFile(deps.config),
  });
}

/**
 * Yesterday's uptime, last night's noise, and the morning report; returns the files written.
 * After writing, hands the uptime digest (and the morning digest when a grid broke the limit) to `send`.
 */
export async function runDailyReports(deps: ReportDeps, dataDir: string, now: number, send?: SendDigest): Promise<string[]> {
  const tz = deps.config.timezone;
  const dir = join(dataDir, 'reports');
  const day = previousDay(now, tz);
  const uptime = await uptimeFor(deps, day.from, day.to, now);
  const uptimeFiles = await save(dir, `uptime-daily-${day.date}`, uptime, toCsv(uptimeRows(uptime, tz)));
  const noise = await nightNoise(deps.store.influx, deps.store.database, deps.site, { night: day.date, timezone: tz, window: deps.config.reports.night });
  const noiseFiles = await save(dir, `noise-night-${day.date}`, noise, toCsv(noiseRows(noise)));
  const morning: MorningReport = {
    night: day.date,
    grids: noise.breachedGrids.map((grid) => ({ grid, buildings: noise.buildings.filter((b) => b.grid === grid && b.breach) })),
  };
  noiseFiles.push(...await save(dir, `noise-morning-${day.date}`, morning));
  if (send) {
    await send(uptimeDigest(uptime, 'uptime-daily', day.date, uptimeFiles, deps.site));
    if (morning.grids.length > 0) await send(morningDigest(day.date, morning.grids, noiseFiles, deps.site));
  }
  return [...uptimeFiles, ...noiseFiles];
}

export async function runMonthlyReports(deps: ReportDeps, dataDir: string, now: number, send?: SendDigest): Promise<string[]> {
  const tz = deps.config.timezone;
  const month = previousMonth(now, tz);
  const uptime = await uptimeFor(deps, month.from, month.to, now);
  const files = await save(join(dataDir, 'reports'), `uptime-monthly-${month.month}`, uptime, toCsv(uptimeRows(uptime, tz)));
  await send?.(uptimeDigest(uptime, 'uptime-monthly', month.month, files, deps.site));
  return files;
}

export interface ReportSchedule { stop(): Promise<void> }

/** Resolves true for exactly one caller per (report, period) across the cluster. */
export type ReportClaim = (report: 'daily' | 'monthly', period: string) => Promise<boolean>;

export function startReportSchedule(deps: ReportDeps, dataDir: string, logger: Logger, send?: SendDigest, claim?: ReportClaim): ReportSchedule {
  const tz = deps.config.timezone;
  const run = (what: 'daily' | 'monthly', fn: () => Promise<string[]>) => async (): Promise<void> => {
    try {
      if (claim) {
        const now = deps.clock.now();
        const period = what === 'daily' ? previousDay(now, tz).date : previousMonth(now, tz).month;
        if (!(await claim(what, period))) {
          logger.info({ report: what, period }, 'scheduled report left to the hub that claimed it');
          return;
        }
      }
      const files = await fn();
      logger.info({ report: what, files }, 'scheduled report written');
    } catch (err) {
      logger.error({ err, report: what }, 'scheduled report failed');
    }
  };
  const tasks = [
    cron.schedule(deps.config.reports.dailyCron, run('daily', () => runDailyReports(deps, dataDir, deps.clock.now(), send)), { timezone: tz, name: 'gridwatch-daily-report', noOverlap: true }),
    cron.schedule(deps.config.reports.monthlyCron, run('monthly', () => runMonthlyReports(deps, dataDir, deps.clock.now(), send)), { timezone: tz, name: 'gridwatch-monthly-report', noOverlap: true }),
  ];
  return {
    async stop() {
      for (const t of tasks) await t.destroy();
    },
  };
}
