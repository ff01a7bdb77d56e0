// Report output: flat rows, then a text table, CSV (RFC 4180) or JSON. Pure.
import type { NoiseReport } from './noise.js';
import type { UptimeReport } from './uptime.js';
import { wallTime } from './tz.js';

export type Format = 'table' | 'csv' | 'json';
export const FORMATS: readonly Format[] = ['table', 'csv', 'json'];
export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

const round = (v: number | null, dp: number): number | null => (v === null ? null : Math.round(v * 10 ** dp) / 10 ** dp);
const minutes = (ms: number | null): number | null => (ms === null ? null : round(ms / 60_000, 1));

/** 'YYYY-MM-DD HH:MM' on the wall clock of `tz`. */
export function localStamp(t: number | null, tz: string): string | null {
  if (t === null) return null;
  const w = wallTime(t, tz);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}`;
}

export function uptimeRows(r: UptimeReport, tz: string): Row[] {
  return r.devices.map((d) => ({
    device: d.device, kind: d.kind, grid: d.grid, building: d.building,
    uptime_pct: round(d.uptimePct, 2), outages: d.outages,
    unplanned_min: minutes(d.unplannedMs), planned_min: minutes(d.plannedMs), longest_min: minutes(d.longestMs), mttr_min: minutes(d.mttrMs),
    last_battery: round(d.lastBattery, 1), battery_per_day: round(d.batteryTrendPerDay, 3),
    first_seen: localStamp(d.firstSeen, tz), never_reported: d.neverReported,
    offline_at_end: d.intervals.find((i) => i.ongoing)?.cause ?? null,
  }));
}

export function noiseRows(r: NoiseReport): Row[] {
  return r.buildings.map((b) => ({
    night: b.night, building: b.building, name: b.name, grid: b.grid, zone: b.noiseZone, limit_db: b.limit,
    laeq_db: round(b.laeq, 1), lmax_db: round(b.lmax, 1), minutes_above: round(b.minutesAbove, 1), impulses: b.impulses, breach: b.breach,
  }));
}

function cellText(v: Cell): string {
  return v === null ? '' : String(v);
}

export function toCsv(rows: Row[], columns?: string[]): string {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const esc = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [cols.map(esc).join(','), ...rows.map((r) => cols.map((c) => esc(cellText(r[c] ?? null))).join(','))].join('\r\n') + '\r\n';
}

/** Display width: CJK and full-width characters take two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || c >= 0x20000 ? 2 : 1;
  }
  return w;
}

export function toTable(rows: Row[], columns?: string[]): string {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  if (cols.length === 0) return '(no rows)\n';
  const cells = [cols, ...rows.map((r) => cols.map((c) => cellText(r[c] ?? null)))];
  const widths = cols.map((_, i) => Math.max(...cells.map((line) => displayWidth(line[i] ?? ''))));
  const pad = (s: string, i: number): string => s + ' '.repeat((widths[i] ?? 0) - displayWidth(s));
  const lines = cells.map((line) => line.map(pad).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return `${lines.join('\n')}\n`;
}

export function render(format: Format, rows: Row[], report: unknown): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'csv') return toCsv(rows);
  return toTable(rows);
}
