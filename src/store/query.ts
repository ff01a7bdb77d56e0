// Small typed helpers over InfluxQL for other stages. Results enter as `unknown` and are checked.
import { escape, type InfluxDB } from 'influx';
import type { FieldValue } from '../core/domain.js';
import { GridwatchError } from '../core/errors.js';

/** One result row: `time` in ms since epoch, then columns (fields and grouped tags). */
export interface Row {
  time: number;
  [column: string]: FieldValue | null;
}

export interface Series {
  name: string;
  tags: Record<string, string>;
  rows: Row[];
}

/** "name" for identifiers (measurements, fields, tags). */
export const ident = (s: string): string => escape.quoted(s);
/** 'value' for string literals in WHERE clauses. */
export const literal = (s: string): string => escape.stringLit(s);

function cell(v: unknown): FieldValue | null {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : null;
}

/** Parse a raw /query answer (one statement) into series with ms timestamps. */
export function parseSeries(raw: unknown): Series[] {
  const results = (raw as { results?: unknown } | null)?.results;
  const first: unknown = Array.isArray(results) ? results[0] : undefined;
  if (typeof first !== 'object' || first === null) return [];
  const { error, series } = first as { error?: unknown; series?: unknown };
  if (typeof error === 'string') throw new GridwatchError('GW_ERR_STORE_WRITE', `InfluxDB query failed: ${error}`);
  if (!Array.isArray(series)) return [];
  return series.map((s: unknown) => {
    const { name, tags, columns, values } = s as { name?: unknown; tags?: unknown; columns?: unknown; values?: unknown };
    const cols = Array.isArray(columns) ? columns.map(String) : [];
    const rows = (Array.isArray(values) ? values : []).map((v: unknown) => {
      const arr = Array.isArray(v) ? v : [];
      const row: Row = { time: 0 };
      cols.forEach((c, i) => {
        row[c] = cell(arr[i]);
      });
      row.time = typeof row.time === 'number' ? row.time : 0;
      return row;
    });
    const tagMap = typeof tags === 'object' && tags !== null ? Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)])) : {};
    return { name: String(name ?? ''), tags: tagMap, rows };
  });
}

/** Run one InfluxQL statement with ms epoch timestamps. */
export async function querySeries(influx: InfluxDB, q: string, database?: string): Promise<Series[]> {
  const raw: unknown = await influx.queryRaw(q, { precision: 'ms', ...(database ? { database } : {}) });
  return parseSeries(raw);
}

/** The newest point of a device in a measurement, or undefined when it has none. */
export async function latest(influx: InfluxDB, measurement: string, device: string, database?: string): Promise<Row | undefined> {
  const q = `SELECT * FROM ${ident(measurement)} WHERE "device" = ${literal(device)} ORDER BY time DESC LIMIT 1`;
  return (await querySeries(influx, q, database))[0]?.rows[0];
}

/** Number of points of a measurement in [fromMs, toMs), counted on one field. */
export async function countPoints(influx: InfluxDB, measurement: string, field: string, fromMs: number, toMs: number, database?: string): Promise<number> {
  const q = `SELECT count(${ident(field)}) FROM ${ident(measurement)} WHERE time >= ${Math.trunc(fromMs)}ms AND time < ${Math.trunc(toMs)}ms`;
  const v = (await querySeries(influx, q, database))[0]?.rows[0]?.count;
  return typeof v === 'number' ? v : 0;
}
