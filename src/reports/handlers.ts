// The report handlers as plain async functions `(ctx, query, access) => result`, for the API
// routes and anything else (CLI, scheduler) that has a HubContext-like set of parts.
import type { InfluxDB } from 'influx';
import { GridwatchError, ValidationError } from '../core/errors.js';
import type { Config } from '../config/schema.js';
import type { SiteIndex } from '../config/site.js';
import { FORMATS, noiseRows, render, uptimeRows, type Format } from './format.js';
import { SCOPE_KEYS, type Scope } from './influx-query.js';
import { nightNoise, type NoiseReport } from './noise.js';
import { CLOCK_RE, DATE_RE, zonedToUtc } from './tz.js';
import { auditUptime, type DataSource, type SilenceLike, type UptimeReport } from './uptime.js';
import { recordsFile } from './outage-store.js';

/** What the handlers need from the hub (a HubContext has all of it). */
export interface ReportDeps {
  config: Config;
  site: SiteIndex;
  store: { influx: InfluxDB; database: string };
  clock: { now(): number };
  /** the alerting stage: its silences (added over the API) count as maintenance windows too */
  alerts?: { listSilences(): Promise<SilenceLike[]> };
}

/** Config silences and the alerting stage's silences. */
export async function allSilences(deps: ReportDeps): Promise<SilenceLike[]> {
  return [...deps.config.silences, ...((await deps.alerts?.listSilences()) ?? [])];
}

/** The grids the caller may see: 'all', or a list (the API's principal.grids). */
export type Access = 'all' | string[];

export type ReportResult<T> = { format: 'json'; body: T } | { format: 'csv' | 'table'; body: string; report: T };

type Query = Record<string, unknown>;

function str(q: Query, field: string): string | undefined {
  const v = q[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new ValidationError('GW_ERR_REPORT_RANGE', field, v, 'must be a string');
  return String(v);
}

const LOCAL_RE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}))?$/;

/** ms since epoch, an ISO 8601 time with offset, or a local date / date-time (YYYY-MM-DD[THH:MM]) in `tz`. */
export function parseTimeParam(field: string, v: string | undefined, tz = 'UTC'): number {
  if (v === undefined) throw new ValidationError('GW_ERR_REPORT_RANGE', field, v, 'is required: an ISO 8601 time or ms since epoch');
  const local = LOCAL_RE.exec(v);
  const t = /^\d+$/.test(v) ? Number(v) : local && DATE_RE.test(local[1] ?? '') && (local[2] === undefined || CLOCK_RE.test(local[2]))
    ? zonedToUtc(local[1] ?? '', local[2] ?? '00:00', tz) : Date.parse(v);
  if (!Number.isFinite(t)) throw new ValidationError('GW_ERR_REPORT_RANGE', field, v, 'must be an ISO 8601 time or ms since epoch');
  return t;
}

export function parseFormat(v: string | undefined, allowed: readonly Format[] = FORMATS): Format {
  const f = v ?? 'json';
  if (!(allowed as readonly string[]).includes(f)) throw new ValidationError('GW_ERR_REPORT_RANGE', 'format', f, `must be one of ${allowed.join(', ')}`);
  return f as Format;
}

function gridOf(deps: ReportDeps, scope: Scope): string | undefined {
  if (scope.device !== undefined) return deps.site.devices.get(scope.device)?.grid;
  if (scope.building !== undefined) return deps.site.buildings.get(scope.building)?.grid;
  return scope.grid;
}

function checkAccess(deps: ReportDeps, scope: Scope, access: Access): string[] | undefined {
  if (access === 'all') return undefined;
  const grid = gridOf(deps, scope);
  if (grid !== undefined && !access.includes(grid)) {
    throw new GridwatchError('GW_ERR_API_FORBIDDEN', `may not read reports of grid '${grid}' (allowed grids: ${access.join(', ') || 'none'})`, { details: { grid } });
  }
  return access;
}

function wrap<T>(format: Format, report: T, rows: () => ReturnType<typeof uptimeRows>): ReportResult<T> {
  return format === 'json' ? { format, body: report } : { format, body: render(format, rows(), report), report };
}

/** GET /reports/uptime?from=&to=&grid=|building=|device=|community=|street=&format=json|csv */
export async function uptimeReportHandler(deps: ReportDeps, query: Query, access: Access = 'all', opts: { source?: DataSource } = {}): Promise<ReportResult<UptimeReport>> {
  const format = parseFormat(str(query, 'format'));
  const scope: Scope = {};
  for (const k of SCOPE_KEYS) {
    const v = str(query, k);
    if (v !== undefined) scope[k] = v;
  }
  const toText = str(query, 'to');
  const tz = deps.config.timezone;
  const to = toText === undefined ? deps.clock.now() : parseTimeParam('to', toText, tz);
  const from = parseTimeParam('from', str(query, 'from'), tz);
  const grids = checkAccess(deps, scope, access);
  const report = await auditUptime(deps.store.influx, deps.store.database, deps.site, {
    from, to, scope, grids, offlineFactor: deps.config.reports.offlineFactor, silences: await allSilences(deps),
    now: deps.clock.now(), source: opts.source, records: recordsFile(deps.config),
  });
  return wrap(format, report, () => uptimeRows(report, deps.config.timezone));
}

/** GET /reports/noise?night=YYYY-MM-DD&building=&grid=&format=json|csv */
export async function noiseReportHandler(deps: ReportDeps, query: Query, access: Access = 'all'): Promise<ReportResult<NoiseReport>> {
  const format = parseFormat(str(query, 'format'));
  const night = str(query, 'night');
  if (night === undefined) throw new ValidationError('GW_ERR_REPORT_RANGE', 'night', night, 'is required: a date YYYY-MM-DD');
  const building = str(query, 'building');
  const grid = str(query, 'grid');
  const grids = checkAccess(deps, { building, grid }, access);
  const report = await nightNoise(deps.store.influx, deps.store.database, deps.site, {
    night, building, grid, grids, timezone: deps.config.timezone, window: deps.config.reports.night,
  });
  return wrap(format, report, () => noiseRows(report));
}
