// Scheduled reports in a cluster: every hub runs the same cron schedule, and the first hub to
// insert (report, period) into gw_report_runs writes and sends that report; the others skip it.
// A primary key does the deciding, so no hub has to lead for reports to go out exactly once.
// A claim is kept fresh (`claimed_at`) while its hub writes, and closed (`done_at`) once the report
// is written and sent. A claim left open and not refreshed for `staleMs` (its hub died, or gave up
// when InfluxDB failed) is taken over by the next hub that asks (the schedule asks again after
// `staleMs`), so a hub dying mid-report no longer leaves its period unwritten.
import type pg from 'pg';
import { withSchemaLock } from '../core/pg-feed.js';
import type { HeldReport, ReportClaims } from '../core/report-claim.js';

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
    // (tables made by the version before have no done_at: their old rows are never asked again)
    await client.query('ALTER TABLE gw_report_runs ADD COLUMN IF NOT EXISTS done_at timestamptz');
  });
}

/** Claims in PostgreSQL: one hold per (report, period) at a time, refreshed every staleMs / 3 while held. */
export function reportClaims(pool: pg.Pool, hubId: string, staleMs = 30 * 60_000): ReportClaims {
  let ready: Promise<void> | undefined;
  const hold = (report: string, period: string): HeldReport => {
    const mine = [report, period, hubId];
    const refresh = setInterval(() => {
      pool.query('UPDATE gw_report_runs SET claimed_at = now() WHERE report = $1 AND period = $2 AND hub = $3 AND done_at IS NULL', mine).catch(() => undefined);
    }, Math.max(10, Math.floor(staleMs / 3)));
    refresh.unref();
    return {
      async done() {
        clearInterval(refresh);
        await pool.query('UPDATE gw_report_runs SET done_at = now() WHERE report = $1 AND period = $2 AND hub = $3', mine);
      },
      async release() {
        clearInterval(refresh);
        await pool.query("UPDATE gw_report_runs SET claimed_at = '-infinity' WHERE report = $1 AND period = $2 AND hub = $3 AND done_at IS NULL", mine);
      },
    };
  };
  return {
    staleMs,
    async claim(report, period) {
      ready ??= ensureReportRunsTable(pool).catch((err: unknown) => {
        ready = undefined;
        throw err;
      });
      await ready;
      const res = await pool.query(
        `INSERT INTO gw_report_runs AS r (report, period, hub) VALUES ($1, $2, $3)
         ON CONFLICT (report, period) DO UPDATE SET hub = EXCLUDED.hub, claimed_at = now()
         WHERE r.done_at IS NULL AND r.claimed_at < now() - make_interval(secs => $4::double precision / 1000)`,
        [report, period, hubId, staleMs]);
      if (res.rowCount === 1) return hold(report, period);
      const row = await pool.query<{ done: boolean }>('SELECT done_at IS NOT NULL AS done FROM gw_report_runs WHERE report = $1 AND period = $2', [report, period]);
      return row.rows[0]?.done === true ? 'done' : 'held';
    },
  };
}
