// The reports stage: uptime audits and night noise reports. One public entry.
import cron from 'node-cron';
import { GridwatchError } from '../core/errors.js';
import type { SendDigest } from '../core/report-digest.js';
import type { HubContext } from '../hub/context.js';
import { join } from 'node:path';
import { OUTAGES_DB, OutageStore } from './outage-store.js';
import { OutageTracker } from './outage-tracker.js';
import { registerReportRoutes, type AuthHook } from './routes.js';
import { startReportSchedule, type ReportClaims } from './schedule.js';

export { auditUptime, devicesInScope, type AuditOptions, type DeviceUptime, type UptimeReport, type DataSource, type SilenceLike } from './uptime.js';
export { nightNoise, noiseNights, type NoiseOptions, type NoiseReport, type BuildingNight, type DeviceNight } from './noise.js';
export { uptimeReportHandler, noiseReportHandler, parseTimeParam, parseFormat, type Access, type ReportDeps, type ReportResult } from './handlers.js';
export { registerReportRoutes, type AuthHook } from './routes.js';
export { uptimeDigest, morningDigest } from './digest.js';
export { runDailyReports, runMonthlyReports, startReportSchedule, previousDay, previousMonth, type ReportSchedule, type ReportClaims, type HeldReport } from './schedule.js';
export { render, uptimeRows, noiseRows, toCsv, toTable, FORMATS, type Format } from './format.js';
export { runUptimeBenchmark, type UptimeBenchResult } from './bench.js';
export { OutageStore, OUTAGES_DB, recordsFile } from './outage-store.js';
export { OutageTracker } from './outage-tracker.js';

export interface AttachReportsOptions {
  /** mount GET /api/v1/reports/* on ctx.app with this access check; omit when the API mounts them */
  authHook?: AuthHook;
  /** run the daily / monthly scheduled reports (default true) */
  schedule?: boolean;
  /** where each scheduled report's digest goes after its files are written (the hub: the notify stage) */
  sendDigest?: SendDigest;
  /** cluster mode: every hub runs the schedule, and only the hub holding the claim of (report, period) writes and sends it */
  claims?: ReportClaims;
}

const trackers = new WeakMap<HubContext, OutageTracker>();

/** The outage tracker attached to a hub context (tests flush it before reading the records). */
export function outageTrackerOf(ctx: HubContext): OutageTracker | undefined {
  return trackers.get(ctx);
}

/** Validates the report crons, starts the schedule, and (with an authHook) registers the routes. */
export function attachReports(ctx: HubContext, opts: AttachReportsOptions = {}): void {
  for (const key of ['dailyCron', 'monthlyCron'] as const) {
    const expr = ctx.config.reports[key];
    if (!cron.validate(expr)) {
      throw new GridwatchError('GW_ERR_CONFIG_INVALID', `reports.${key} '${expr}' is not a valid cron expression (e.g. '0 7 * * *')`, { details: { field: `reports.${key}`, value: expr } });
    }
  }
  // the outage records, kept as outages happen, so an uptime audit reads a few rows per device
  // (not in cluster mode: a hub sees only the connections routed to it; see recordsFile)
  if (!ctx.config.cluster) {
    const outages = new OutageStore(join(ctx.dataDir, OUTAGES_DB));
    const tracker = new OutageTracker(outages, ctx.clock, ctx.config.reports.offlineFactor, ctx.logger.child({ stage: 'reports' }));
    tracker.attach(ctx.bus);
    trackers.set(ctx, tracker);
    ctx.onClose(() => { tracker.close(); outages.close(); });
  }
  if (opts.authHook) registerReportRoutes(ctx.app, ctx, opts.authHook);
  if (opts.schedule !== false) {
    const schedule = startReportSchedule(ctx, ctx.dataDir, ctx.logger.child({ stage: 'reports' }), opts.sendDigest, opts.claims);
    ctx.onClose(() => schedule.stop());
  }
}
