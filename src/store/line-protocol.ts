// Pure: StorePoints -> InfluxDB 1.x line protocol, written directly (one pass, one string per
// batch) instead of through node-influx's generic schema/escaper code on the hot path.
// Field types come from FIELD_TYPES (integers get the `i` suffix, never flipping with the value);
// points are screened by pointProblem() before they get here.
// Escaping (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/):
// measurement: comma, space; tag keys/values and field keys: comma, equals sign, space;
// string field values: double quote, backslash.
import type { FieldValue, StorePoint } from '../core/domain.js';
import { FIELD_TYPES, type StoreFieldType } from './points.js';

/**
 * Points are written at nanosecond precision: a point's time is its ms `ts` plus its sub-ms `ns`
 * (readings of one device in the same millisecond must not overwrite each other). A ns timestamp
 * does not fit a JS number, so it is built as a decimal string.
 */
export type WritePrecision = 'ns';
export const WRITE_PRECISION: WritePrecision = 'ns';

export function escapeMeasurement(s: string): string {
  return s.replace(/[, ]/g, '\\$&');
}

/** tag keys, tag values and field keys */
export function escapeKey(s: string): string {
  return s.replace(/[,= ]/g, '\\$&');
}

export function quoteString(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/** One field value; `type` is the declared type, or undefined for an undeclared measurement. */
export function fieldValue(value: FieldValue, type: StoreFieldType | undefined): string {
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (typeof value === 'string') return quoteString(value);
  if (type === 'integer') return `${Math.trunc(value)}i`;
  return String(value); // float: '12' and '12.5' are both floats in line protocol without `i`
}

/** `ts` ms since epoch and `ns` 0..999,999 within that ms, as ns since epoch. */
export function timestamp(ts: number, ns = 0): string {
  return `${Math.trunc(ts)}${ns === 0 ? '000000' : String(ns).padStart(6, '0')}`;
}

// Escaped series keys (measurement + sorted tags) by tag object: points of one device share a
// frozen tag object (points.ts), so the key is built once per device and measurement.
const seriesKeys = new WeakMap<object, Map<string, string>>();
// ' key=' (a point's first field) and ',key=' (the others), escaped: a small closed set
// (FIELD_TYPES), bounded anyway. One concatenation per field instead of four.
const firstFields = new Map<string, string>();
const nextFields = new Map<string, string>();

function seriesKey(p: StorePoint): string {
  let byMeasurement = Object.isFrozen(p.tags) ? seriesKeys.get(p.tags) : undefined;
  const hit = byMeasurement?.get(p.measurement);
  if (hit !== undefined) return hit;
  let key = escapeMeasurement(p.measurement);
  for (const tag of Object.keys(p.tags).sort()) key += `,${escapeKey(tag)}=${escapeKey(p.tags[tag] as string)}`;
  if (Object.isFrozen(p.tags)) {
    if (!byMeasurement) seriesKeys.set(p.tags, (byMeasurement = new Map()));
    byMeasurement.set(p.measurement, key);
  }
  return key;
}

function fieldPrefix(name: string, first: boolean): string {
  const cache = first ? firstFields : nextFields;
  let prefix = cache.get(name);
  if (prefix === undefined) {
    if (cache.size > 10_000) cache.clear();
    prefix = `${first ? ' ' : ','}${escapeKey(name)}=`;
    cache.set(name, prefix);
  }
  return prefix;
}

/** The fields and time of a point: what follows its series key on its line. */
function fieldsAndTime(p: StorePoint): string {
  const types = FIELD_TYPES[p.measurement];
  let out = '';
  let first = true;
  for (const name in p.fields) {
    const value = p.fields[name];
    if (value === undefined) continue;
    out += fieldPrefix(name, first);
    out += fieldValue(value, types?.[name]);
    first = false;
  }
  return out + ' ' + timestamp(p.ts, p.ns);
}

/** One point as a line (no trailing newline). */
export function encodePoint(p: StorePoint): string {
  return seriesKey(p) + fieldsAndTime(p);
}

/** A batch as one request body, built in one pass. */
export function encodeBatch(points: readonly StorePoint[]): string {
  let body = '';
  for (const p of points) {
    body += seriesKey(p);
    body += fieldsAndTime(p);
    body += '\n';
  }
  return body;
}
