// Downsampled copies for the reports (named in src/reports/README.md):
//  - RP `rp_5m` (400 days): `readings_5m` — per device per 5 min: n = count of readings (the kind's
//    primary field), battery = mean battery. One CQ per kind: `cq_readings_5m_<kind>`.
//  - RP `rp_1h` (infinite): `noise_1h` — per device per hour: energy = Σ10^(laeq/10), n = count,
//    lmax = max lmax. CQ `cq_noise_1h` (InfluxDB 1.6 has POW; the sum runs over a subquery).
// `presence` stays raw. CQs resample the recent past so late (spooled) points are still counted;
// `backfillDownsampling` computes the same copies for any older range (imports, benchmarks).
import type { InfluxDB } from 'influx';
import { KINDS } from '../kinds/index.js';

export const RP_5M = 'rp_5m';
export const RP_1H = 'rp_1h';
export const READINGS_5M = 'readings_5m';
export const NOISE_1H = 'noise_1h';
export const BUCKET_5M_MS = 5 * 60_000;
export const BUCKET_1H_MS = 3_600_000;

const q = (name: string): string => `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export interface DownsampleQuery { name: string; resample: string; select: (db: string, where: string) => string }

/** The CQ bodies; `where` is '' for the CQ itself or a time range for a backfill. */
export function downsampleQueries(): DownsampleQuery[] {
  const perKind: DownsampleQuery[] = Object.entries(KINDS).map(([kind, k]) => ({
    name: `cq_readings_5m_${kind}`,
    resample: 'RESAMPLE EVERY 5m FOR 1h',
    select: (db: string, where: string) =>
      `SELECT count(${q(k.primaryField)}) AS n, mean("battery") AS battery INTO ${q(db)}.${q(RP_5M)}.${q(READINGS_5M)} FROM ${q(db)}..${q(k.measurement)}${where} GROUP BY time(5m), *`,
  }));
  const noise: DownsampleQuery = {
    name: 'cq_noise_1h',
    resample: 'RESAMPLE EVERY 15m FOR 2h',
    select: (db: string, where: string) =>
      `SELECT sum("p") AS energy, count("p") AS n, max("lmax") AS lmax INTO ${q(db)}.${q(RP_1H)}.${q(NOISE_1H)} FROM (SELECT pow(10, "laeq" / 10) AS p, "lmax" FROM ${q(db)}..${q(KINDS.noise.measurement)}${where} GROUP BY *)${where} GROUP BY time(1h), *`,
  };
  return [...perKind, noise];
}

/** Creates (or re-creates) the retention policies and continuous queries. Idempotent. */
export async function applyDownsampling(influx: InfluxDB, db: string): Promise<void> {
  await influx.queryRaw(`CREATE RETENTION POLICY ${q(RP_5M)} ON ${q(db)} DURATION 400d REPLICATION 1`);
  await influx.queryRaw(`CREATE RETENTION POLICY ${q(RP_1H)} ON ${q(db)} DURATION INF REPLICATION 1`);
  const existing = new Set((await influx.showContinousQueries(db)).map((r) => r.name));
  for (const cq of downsampleQueries()) {
    // CQs cannot be altered: drop ours and create it again so a changed definition takes effect
    if (existing.has(cq.name)) await influx.queryRaw(`DROP CONTINUOUS QUERY ${q(cq.name)} ON ${q(db)}`);
    await influx.queryRaw(`CREATE CONTINUOUS QUERY ${q(cq.name)} ON ${q(db)} ${cq.resample} BEGIN ${cq.select(db, '')} END`);
  }
}

/** Computes the downsampled copies for [from, to) now (aligned out to whole hours). */
export async function backfillDownsampling(influx: InfluxDB, db: string, from: number, to: number): Promise<void> {
  const f = Math.floor(from / BUCKET_1H_MS) * BUCKET_1H_MS;
  const t = Math.ceil(to / BUCKET_1H_MS) * BUCKET_1H_MS;
  const where = ` WHERE time >= ${f}ms AND time < ${t}ms`;
  for (const cq of downsampleQueries()) await influx.queryRaw(cq.select(db, where), { database: db });
}
