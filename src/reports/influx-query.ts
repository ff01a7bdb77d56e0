// Running InfluxQL for the reports: results enter as `unknown` and leave as typed series.
import type { InfluxDB } from 'influx';
import { GridwatchError } from '../core/errors.js';

export interface Series { name: string; tags: Record<string, string>; columns: string[]; values: unknown[][] }

export type Scope = { device?: string; building?: string; grid?: string; community?: string; street?: string };
export const SCOPE_KEYS = ['device', 'building', 'grid', 'community', 'street'] as const;

/** An InfluxQL identifier in double quotes. */
export function ident(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** An InfluxQL string literal in single quotes. */
export function lit(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** ` AND "tag" = 'v'` for each scope key set. */
export function scopeWhere(scope: Scope): string {
  return SCOPE_KEYS.filter((k) => scope[k] !== undefined).map((k) => ` AND ${ident(k)} = ${lit(scope[k] as string)}`).join('');
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Runs one statement with epoch-ms times; throws GridwatchError on a query error. */
export async function querySeries(influx: InfluxDB, db: string, q: string): Promise<Series[]> {
  let body: unknown;
  try {
    body = await influx.queryRaw(q, { database: db, precision: 'ms' });
  } catch (e) {
    throw new GridwatchError('GW_ERR_STORE_QUERY', `InfluxDB query failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e, retryable: true });
  }
  const results = asRecord(body).results;
  const first = asRecord(Array.isArray(results) ? results[0] : undefined);
  if (typeof first.error === 'string') throw new GridwatchError('GW_ERR_STORE_QUERY', `InfluxDB query failed: ${first.error}`);
  const series = Array.isArray(first.series) ? first.series : [];
  return series.map((s): Series => {
    const r = asRecord(s);
    const tags = Object.fromEntries(Object.entries(asRecord(r.tags)).filter((e): e is [string, string] => typeof e[1] === 'string'));
    return {
      name: typeof r.name === 'string' ? r.name : '',
      tags,
      columns: Array.isArray(r.columns) ? r.columns.map(String) : [],
      values: Array.isArray(r.values) ? r.values.filter((v): v is unknown[] => Array.isArray(v)) : [],
    };
  });
}

/** Rows of every series as objects keyed by column, with the series tags merged in. */
export function seriesRows(series: Series[]): Array<Record<string, unknown>> {
  return series.flatMap((s) => s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })));
}

export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
