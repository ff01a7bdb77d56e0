// The uptime audit: reads presence (raw) and readings (5-min counts where the downsampled copy
// covers the period, raw elsewhere) from InfluxDB and runs the pure maths per device.
import { existsSync } from 'node:fs';
import type { InfluxDB } from 'influx';
import type { DeviceInfo } from '../core/domain.js';
import { ValidationError } from '../core/errors.js';
import type { SiteIndex } from '../config/site.js';
import { KINDS } from '../kinds/index.js';
import { BUCKET_5M_MS, READINGS_5M, RP_5M } from '../store/downsample.js';
import { readGaps, type GapData } from './uptime-gaps.js';
import { ident, num, querySeries, scopeWhere, seriesRows, SCOPE_KEYS, type Scope } from './influx-query.js';
import { recordsCover, uptimeFromRecords } from './uptime-records.js';
import { computeUptime, DEFAULT_GRACE_MS, thresholdMs, type BatterySample, type PresenceSample, type UptimeResult, type Window } from './uptime-math.js';

export interface SilenceLike { scope: { device?: string; building?: string; grid?: string }; from: string | number; until: string | number }

export type DataSource = 'auto' | 'raw' | 'downsampled' | 'gaps' | 'records';

export interface AuditOptions {
  from: number;
  to: number;
  scope?: Scope;
  /** only devices in these grids (what the caller may see); omitted: all */
  grids?: string[];
  offlineFactor: number;
  silences?: SilenceLike[];
  graceMs?: number;
  /**
   * raw: every reading; gaps: raw gaps found in InfluxDB (elapsed), exact and light;
   * downsampled: 5-min counts (5-min resolution); auto: downsampled where the copy covers the
   * period and the devices report more often than every 5 min, else gaps; records: the hub's
   * outage records (a few rows per device; auto prefers them when they cover the period)
   */
  source?: DataSource;
  /** the hub's outage records (`<dataDir>/outages.db`); `auto` reads them when they cover the period */
  records?: string;
  /** now, for how far the continuous queries are complete (default Date.now()) */
  now?: number;
}

export interface DeviceUptime extends UptimeResult {
  device: string; kind: string; street: string; community: string; grid: string; building: string; intervalS: number;
}

export interface UptimeReport {
  from: number;
  to: number;
  scope: Scope;
  offlineFactor: number;
  /** which data the readings came from */
  source: 'raw' | 'downsampled' | 'mixed' | 'gaps' | 'records';
  devices: DeviceUptime[];
  summary: { devices: number; meanUptimePct: number | null; outages: number; unplannedMs: number; neverSeen: number; offlineAtEnd: number };
}

/** How long the CQs may still be revising buckets (their RESAMPLE FOR window). */
const CQ_LAG_MS = 65 * 60_000;
const P = ident('presence');

export function validateAudit(site: SiteIndex, opts: AuditOptions): Scope {
  if (!Number.isFinite(opts.from)) throw new ValidationError('GW_ERR_REPORT_RANGE', 'from', opts.from, 'must be a time (ISO 8601 or ms since epoch)');
  if (!Number.isFinite(opts.to) || opts.to <= opts.from) throw new ValidationError('GW_ERR_REPORT_RANGE', 'to', opts.to, 'must be a time after from');
  if (!(opts.offlineFactor >= 1)) throw new ValidationError('GW_ERR_REPORT_RANGE', 'offlineFactor', opts.offlineFactor, 'must be a number >= 1');
  const scope = opts.scope ?? {};
  const maps = { device: site.devices, building: site.buildings, grid: site.grids, community: site.communities, street: site.streets } as const;
  for (const k of SCOPE_KEYS) {
    const v = scope[k];
    if (v !== undefined && !maps[k].has(v)) throw new ValidationError('GW_ERR_REPORT_RANGE', k, v, `must be a known ${k} id`);
  }
  return scope;
}

export function devicesInScope(site: SiteIndex, scope: Scope): DeviceInfo[] {
  return [...site.devices.values()].filter((d) => SCOPE_KEYS.every((k) => scope[k] === undefined || (k === 'device' ? d.id : d[k]) === scope[k]))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export function silenceWindows(silences: SilenceLike[], d: DeviceInfo): Window[] {
  const ms = (v: string | number): number => (typeof v === 'number' ? v : Date.parse(v));
  return silences.filter((s) => s.scope.device === d.id || s.scope.building === d.building || s.scope.grid === d.grid)
    .map((s) => ({ from: ms(s.from), until: ms(s.until) })).filter((w) => Number.isFinite(w.from) && Number.isFinite(w.until));
}

interface DeviceData { presenceBefore: PresenceSample | null; presenceLead: PresenceSample[]; presence: PresenceSample[]; lastReadingBefore: number | null; readings: number[]; battery: BatterySample[] }

function data(map: Map<string, DeviceData>, id: string): DeviceData {
  let d = map.get(id);
  if (!d) {
    d = { presenceBefore: null, presenceLead: [], presence: [], lastReadingBefore: null, readings: [], battery: [] };
    map.set(id, d);
  }
  return d;
}

function presenceSample(r: Record<string, unknown>): PresenceSample | null {
  const ts = num(r.time);
  const cause = r.cause;
  if (ts === null || typeof r.online !== 'boolean') return null;
  const c = cause === 'lwt' || cause === 'disconnect' || cause === 'timeout' || cause === 'connect' ? cause : r.online ? 'connect' : 'lwt';
  return { ts, online: r.online, cause: c };
}

const range = (f: number, t: number): string => `time >= ${f}ms AND time < ${t}ms`;

async function readRaw(influx: InfluxDB, db: string, devices: DeviceInfo[], w: string, f: number, t: number, out: Map<string, DeviceData>): Promise<void> {
  if (t <= f) return;
  for (const kind of new Set(devices.map((d) => d.kind))) {
    const k = KINDS[kind];
    const rows = seriesRows(await querySeries(influx, db, `SELECT ${ident(k.primaryField)} AS v, "battery" FROM ${ident(k.measurement)} WHERE ${range(f, t)}${w} GROUP BY "device"`));
    for (const r of rows) {
      const ts = num(r.time);
      if (ts === null || typeof r.device !== 'string') continue;
      const d = data(out, r.device);
      d.readings.push(ts);
      const b = num(r.battery);
      if (b !== null) d.battery.push({ ts, value: b });
    }
  }
}

async function readDownsampled(influx: InfluxDB, db: string, w: string, f: number, t: number, out: Map<string, DeviceData>): Promise<void> {
  if (t <= f) return;
  const rows = seriesRows(await querySeries(influx, db, `SELECT "n", "battery" FROM ${ident(RP_5M)}.${ident(READINGS_5M)} WHERE ${range(f, t)}${w} GROUP BY "device"`));
  for (const r of rows) {
    const ts = num(r.time);
    const n = num(r.n) ?? 0;
    if (ts === null || typeof r.device !== 'string' || n <= 0) continue;
    const d = data(out, r.device);
    // a bucket stands for its readings: one in the middle, or the first and last instants
    if (n === 1) d.readings.push(ts + BUCKET_5M_MS / 2);
    else d.readings.push(ts, ts + BUCKET_5M_MS - 1);
    const b = num(r.battery);
    if (b !== null) d.battery.push({ ts: ts + BUCKET_5M_MS / 2, value: b });
  }
}

async function readLastBefore(influx: InfluxDB, db: string, devices: DeviceInfo[], w: string, from: number, out: Map<string, DeviceData>): Promise<void> {
  for (const kind of new Set(devices.map((d) => d.kind))) {
    const k = KINDS[kind];
    for (const r of seriesRows(await querySeries(influx, db, `SELECT last(${ident(k.primaryField)}) FROM ${ident(k.measurement)} WHERE time < ${from}ms${w} GROUP BY "device"`))) {
      const ts = num(r.time);
      if (ts !== null && typeof r.device === 'string') data(out, r.device).lastReadingBefore = ts;
    }
  }
}

async function firstDownsampledBucket(influx: InfluxDB, db: string): Promise<number | null> {
  try {
    const rows = seriesRows(await querySeries(influx, db, `SELECT first("n") FROM ${ident(RP_5M)}.${ident(READINGS_5M)}`));
    return num(rows[0]?.time);
  } catch (e) {
    // a database set up without applyDownsampling has no rp_5m: read raw
    if (e instanceof Error && /retention policy not found/.test(e.message)) return null;
    throw e;
  }
}

export async function auditUptime(influx: InfluxDB, db: string, site: SiteIndex, opts: AuditOptions): Promise<UptimeReport> {
  const scope = validateAudit(site, opts);
  const { from, to } = opts;
  const devices = devicesInScope(site, scope).filter((d) => opts.grids === undefined || opts.grids.includes(d.grid));
  const w = scopeWhere(scope);
  const byDevice = new Map<string, DeviceData>();
  const silencesOf = (d: DeviceInfo): Window[] => silenceWindows(opts.silences ?? [], d);
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const thresholdOf = (d: DeviceInfo): number => thresholdMs(d.intervalS, opts.offlineFactor);
  if (opts.source === 'records' || ((opts.source ?? 'auto') === 'auto' && recordsCover(opts.records, from))) {
    if (opts.records === undefined) {
      throw new ValidationError('GW_ERR_REPORT_RANGE', 'source', 'records', 'needs outage records, which a cluster does not keep (each hub sees only the connections routed to it): use --source raw, gaps or downsampled');
    }
    if (!existsSync(opts.records)) {
      throw new ValidationError('GW_ERR_REPORT_RANGE', 'source', 'records', `needs the hub's outage records (${opts.records ?? '<dataDir>/outages.db'}), which do not exist: run the hub, or use --source raw`);
    }
    const res = uptimeFromRecords(opts.records, devices, { from, to, thresholdOf, graceMs, silencesOf });
    return report(opts, scope, 'records', devices.map((d) => ({ ...placement(d), ...(res.get(d.id) as UptimeResult) })));
  }

  for (const r of seriesRows(await querySeries(influx, db, `SELECT "online", "cause" FROM ${P} WHERE ${range(from, to)}${w} GROUP BY "device"`))) {
    const p = presenceSample(r);
    if (p && typeof r.device === 'string') data(byDevice, r.device).presence.push(p);
  }
  for (const r of seriesRows(await querySeries(influx, db, `SELECT "online", "cause" FROM ${P} WHERE time < ${from}ms${w} GROUP BY "device" ORDER BY time DESC LIMIT 1`))) {
    const p = presenceSample(r);
    if (p && typeof r.device === 'string') data(byDevice, r.device).presenceBefore = p;
  }
  // the presence just before the period decides the state it starts in (a drop still in grace,
  // an outage already judged): one silence threshold of lead is all that can matter
  const lead = Math.max(0, ...devices.map(thresholdOf)) + graceMs;
  for (const r of seriesRows(await querySeries(influx, db, `SELECT "online", "cause" FROM ${P} WHERE ${range(from - lead, from)}${w} GROUP BY "device"`))) {
    const p = presenceSample(r);
    if (p && typeof r.device === 'string') data(byDevice, r.device).presenceLead.push(p);
  }

  // Which data for the readings: 5-min buckets in [a, cut) when the copy covers it, raw elsewhere.
  const now = opts.now ?? Date.now();
  const a = Math.ceil(from / BUCKET_5M_MS) * BUCKET_5M_MS;
  const cut = Math.max(a, Math.min(Math.floor(to / BUCKET_5M_MS) * BUCKET_5M_MS, Math.floor((now - CQ_LAG_MS) / BUCKET_5M_MS) * BUCKET_5M_MS));
  let useDs = false;
  if (opts.source === 'downsampled') useDs = true;
  else if ((opts.source ?? 'auto') === 'auto' && devices.some((d) => d.intervalS < BUCKET_5M_MS / 1000)) {
    const first = await firstDownsampledBucket(influx, db);
    useDs = first !== null && first <= Math.floor(from / BUCKET_5M_MS) * BUCKET_5M_MS && cut > a;
  }
  const useGaps = !useDs && opts.source !== 'raw';
  let gapData = new Map<string, GapData>();
  if (useGaps) {
    gapData = await readGaps(influx, db, devices, w, from, to, thresholdOf);
    await readLastBefore(influx, db, devices, w, from, byDevice);
  } else if (useDs) {
    await readRaw(influx, db, devices, w, from, a, byDevice);
    await readDownsampled(influx, db, w, a, cut, byDevice);
    await readRaw(influx, db, devices, w, cut, to, byDevice);
    const before = Math.floor(from / BUCKET_5M_MS) * BUCKET_5M_MS;
    for (const r of seriesRows(await querySeries(influx, db, `SELECT last("n") FROM ${ident(RP_5M)}.${ident(READINGS_5M)} WHERE time < ${before}ms${w} GROUP BY "device"`))) {
      const ts = num(r.time);
      if (ts !== null && typeof r.device === 'string') data(byDevice, r.device).lastReadingBefore = ts + BUCKET_5M_MS - 1;
    }
  } else {
    await readRaw(influx, db, devices, w, from, to, byDevice);
    await readLastBefore(influx, db, devices, w, from, byDevice);
  }

  const results: DeviceUptime[] = devices.map((d) => {
    const dd = data(byDevice, d.id);
    dd.readings.sort((x, y) => x - y);
    const g = gapData.get(d.id);
    const res = computeUptime({
      from, to, thresholdMs: thresholdOf(d), graceMs,
      ...dd, spans: g?.spans ?? [], battery: g ? g.battery : dd.battery, silences: silencesOf(d),
    });
    return { ...placement(d), ...res };
  });
  return report(opts, scope, useDs ? (a > from || cut < to ? 'mixed' : 'downsampled') : useGaps ? 'gaps' : 'raw', results);
}

function placement(d: DeviceInfo): Omit<DeviceUptime, keyof UptimeResult> {
  return { device: d.id, kind: d.kind, street: d.street, community: d.community, grid: d.grid, building: d.building, intervalS: d.intervalS };
}

function report(opts: AuditOptions, scope: Scope, source: UptimeReport['source'], results: DeviceUptime[]): UptimeReport {
  const pcts = results.map((r) => r.uptimePct).filter((p): p is number => p !== null);
  return {
    from: opts.from, to: opts.to, scope, offlineFactor: opts.offlineFactor, source,
    devices: results,
    summary: {
      devices: results.length,
      meanUptimePct: pcts.length > 0 ? pcts.reduce((x, y) => x + y, 0) / pcts.length : null,
      outages: results.reduce((s, r) => s + r.outages, 0),
      unplannedMs: results.reduce((s, r) => s + r.unplannedMs, 0),
      neverSeen: results.filter((r) => r.intervals.some((i) => i.cause === 'never_seen')).length,
      offlineAtEnd: results.filter((r) => r.intervals.some((i) => i.ongoing)).length,
    },
  };
}
