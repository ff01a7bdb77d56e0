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
import type { HeldReport, ReportClaims } from '../core/report-claim.js';
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

export type { HeldReport, ReportClaims } from '../core/report-claim.js';

/**
 * Runs the daily and monthly reports on their crons. With `claims` (cluster mode: every hub runs
 * this schedule) a hub writes a report only while it holds the claim of its (report, period); a
 * hub that finds it held by another, or whose own run failed, asks again after `claims.staleMs`,
 * until the report is done, so a hub that died or failed mid-report does not leave it unwritten.
 * The period is the cron firing's, even when taken over later.
 */
export function startReportSchedule(deps: ReportDeps, dataDir: string, logger: Logger, send?: SendDigest, claims?: ReportClaims): ReportSchedule {
  const tz = deps.config.timezone;
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const jobs = {
    daily: (now: number) => runDailyReports(deps, dataDir, now, send),
    monthly: (now: number) => runMonthlyReports(deps, dataDir, now, send),
  };
  const later = (what: 'daily' | 'monthly', now: number, period: string): void => {
    if (stopped || !claims) return;
    const t = setTimeout(() => {
      timers.delete(t);
      void attempt(what, now, period);
    }, claims.staleMs);
    timers.add(t);
  };
  const attempt = async (what: 'daily' | 'monthly', now: number, period: string): Promise<void> => {
    let held: HeldReport | undefined;
    try {
      if (claims) {
        const claim = await claims.claim(what, period);
        if (claim === 'done') return;
        if (claim === 'held') {
          logger.info({ report: what, period, askAgainMs: claims.staleMs }, 'scheduled report left to the hub that claimed it');
          return later(what, now, period);
        }
        held = claim;
      }
      const files = await jobs[what](now);
      await held?.done();
      logger.info({ report: what, period, files }, 'scheduled report written');
    } catch (err) {
      logger.error({ err, report: what, period }, 'scheduled report failed');
      await held?.release().catch(() => undefined);
      later(what, now, period); // (cluster mode: a claim that could not even be asked is asked again too)
    }
  };
  const run = (what: 'daily' | 'monthly') => (): Promise<void> => {
    const now = deps.clock.now();
    return attempt(what, now, what === 'daily' ? previousDay(now, tz).date : previousMonth(now, tz).month);
  };
  const tasks = [
    cron.schedule(deps.config.reports.dailyCron, run('daily'), { timezone: tz, name: 'gridwatch-daily-report', noOverlap: true }),
    cron.schedule(deps.config.reports.monthlyCron, run('monthly'), { timezone: tz, name: 'gridwatch-monthly-report', noOverlap: true }),
  ];
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const t of tasks) await t.destroy();
    },
  };
}
