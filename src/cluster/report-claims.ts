// Scheduled reports in a cluster: every hub runs the same cron schedule, and the first hub to
// insert (report, period) into gw_report_runs writes and sends that report; the others skip it.
// A primary key does the deciding, so no hub has to lead for reports to go out exactly once.
import type pg from 'pg';
import { withSchemaLock } from '../core/pg-feed.js';

// pg_advisory_xact_lock id held while the table is created (registry ...01, API ...02, cases and lease ...03)
const SCHEMA_LOCK = 0x67770004;

export async function ensureReportRunsTable(pool: pg.Pool): Promise<void> {
  await withSchemaLock(pool, SCHEMA_LOCK, async (client) => {
    await client.query(`CREATE TABLE IF NOT EXISTS gw_report_runs (
      report text NOT NULL,
      period text NOT NULL,
      hub text NOT NULL,
      claimed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (report, period))`);
  });
}

/** A claim function for attachReports: true for exactly one hub per (report, period). */
export function reportClaims(pool: pg.Pool, hubId: string): (report: string, period: string) => Promise<boolean> {
  let ready: Promise<void> | undefined;
  return async (report, period) => {
    ready ??= ensureReportRunsTable(pool).catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    await ready;
    const res = await pool.query('INSERT INTO gw_report_runs (report, period, hub) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [report, period, hubId]);
    return res.rowCount === 1;
  };
}
