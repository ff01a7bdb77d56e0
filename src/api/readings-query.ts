// Builds the InfluxQL for GET /readings: per device, one row per `every` bucket. Numbers are
// averaged (mean); noise LAeq is averaged by energy (10·log10 of the mean of 10^(L/10)) and
// Lmax is the maximum; booleans and strings take the bucket's last value. Identifiers and
// strings are escaped with node-influx's escapers.
import { escape } from 'influx';
import type { KindName } from '../core/domain.js';
import { KINDS } from '../kinds/index.js';

const COMMON_NUMERIC = ['battery', 'rssi'];
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const EVERY_PATTERN = '^[1-9][0-9]{0,5}(s|m|h|d)$';
export const MAX_BUCKETS = 20_000;

export interface ReadingsQuery { kind: KindName; devices: string[]; from: number; to: number; every: string }

export function everyMs(every: string): number {
  const m = new RegExp(EVERY_PATTERN).exec(every);
  if (!m) throw new Error(`not a duration: ${every}`);
  return Number(every.slice(0, -1)) * (UNIT_MS[m[1] as string] as number);
}

function fieldKinds(kind: KindName): { numeric: string[]; other: string[] } {
  const numeric: string[] = [...COMMON_NUMERIC];
  const other: string[] = [];
  for (const [name, spec] of Object.entries(KINDS[kind].fields)) {
    if ((spec.schema as { type?: unknown }).type === 'number' || (spec.schema as { type?: unknown }).type === 'integer') numeric.push(name);
    else other.push(name);
  }
  return { numeric, other };
}

export function buildReadingsQuery(q: ReadingsQuery): string {
  const measurement = escape.quoted(KINDS[q.kind].measurement);
  const deviceCond = q.devices.map((d) => `"device" = ${escape.stringLit(d)}`).join(' OR ');
  const where = `WHERE (${deviceCond}) AND time >= ${Math.trunc(q.from)}ms AND time < ${Math.trunc(q.to)}ms`;
  const group = `GROUP BY time(${q.every}), "device" fill(none)`;
  const { numeric, other } = fieldKinds(q.kind);
  if (q.kind === 'noise') {
    const rest = numeric.filter((f) => f !== 'laeq' && f !== 'lmax');
    const inner = [`pow(10, ${escape.quoted('laeq')} / 10) AS "e_laeq"`, escape.quoted('lmax'), ...rest.map((f) => escape.quoted(f)), ...other.map((f) => escape.quoted(f))];
    const outer = ['10 * log10(mean("e_laeq")) AS "laeq"', 'max("lmax") AS "lmax"', ...rest.map((f) => `mean(${escape.quoted(f)}) AS ${escape.quoted(f)}`), ...other.map((f) => `last(${escape.quoted(f)}) AS ${escape.quoted(f)}`)];
    return `SELECT ${outer.join(', ')} FROM (SELECT ${inner.join(', ')} FROM ${measurement} ${where} GROUP BY "device") ${where} ${group}`;
  }
  const cols = [...numeric.map((f) => `mean(${escape.quoted(f)}) AS ${escape.quoted(f)}`), ...other.map((f) => `last(${escape.quoted(f)}) AS ${escape.quoted(f)}`)];
  return `SELECT ${cols.join(', ')} FROM ${measurement} ${where} ${group}`;
}
