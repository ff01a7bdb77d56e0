// Benchmark hook: the same uptime audit on raw readings, on the 5-min downsampled copy, with
// server-side gap detection (elapsed) on raw readings, and (given `records`) from outage records.
// Timing belongs here (benchmarks), never in tests.
import { performance } from 'node:perf_hooks';
import type { InfluxDB } from 'influx';
import type { SiteIndex } from '../config/site.js';
import { auditUptime, type AuditOptions } from './uptime.js';

export interface UptimeBenchResult {
  devices: number;
  rawMs: number;
  downsampledMs: number;
  gapsMs: number;
  /** rawMs / downsampledMs */
  ratio: number;
  /** rawMs / gapsMs */
  gapsRatio: number;
  /** mean uptime on each source: they should agree to within the 5-min bucket resolution */
  meanUptimeRaw: number | null;
  meanUptimeDownsampled: number | null;
  meanUptimeGaps: number | null;
  /** from the outage records (when a records file was given) */
  recordsMs?: number;
  meanUptimeRecords?: number | null;
  /** devices whose intervals from the records differ from the raw recomputation (should be 0) */
  recordsMismatches?: number;
}

export async function runUptimeBenchmark(influx: InfluxDB, db: string, site: SiteIndex, opts: Omit<AuditOptions, 'source'>): Promise<UptimeBenchResult> {
  const t0 = performance.now();
  const raw = await auditUptime(influx, db, site, { ...opts, source: 'raw' });
  const t1 = performance.now();
  const ds = await auditUptime(influx, db, site, { ...opts, source: 'downsampled' });
  const t2 = performance.now();
  const gaps = await auditUptime(influx, db, site, { ...opts, source: 'gaps' });
  const t3 = performance.now();
  let rec: Partial<UptimeBenchResult> = {};
  if (opts.records !== undefined) {
    const r = await auditUptime(influx, db, site, { ...opts, source: 'records' });
    const recordsMs = performance.now() - t3;
    const rawBy = new Map(raw.devices.map((d) => [d.device, JSON.stringify(d.intervals)]));
    const recordsMismatches = r.devices.filter((d) => rawBy.get(d.device) !== JSON.stringify(d.intervals)).length;
    rec = { recordsMs, meanUptimeRecords: r.summary.meanUptimePct, recordsMismatches };
  }
  return {
    ...rec,
    devices: raw.summary.devices, rawMs: t1 - t0, downsampledMs: t2 - t1, gapsMs: t3 - t2,
    ratio: (t1 - t0) / Math.max(t2 - t1, 1e-6), gapsRatio: (t1 - t0) / Math.max(t3 - t2, 1e-6),
    meanUptimeRaw: raw.summary.meanUptimePct, meanUptimeDownsampled: ds.summary.meanUptimePct, meanUptimeGaps: gaps.summary.meanUptimePct,
  };
}
