// The uptime audit (GET /api/v1/reports/uptime, src/reports/uptime.ts UptimeReport) as table rows.
import type { Lang } from '../i18n/lang.js';
import { fmtTime } from './format.js';

export interface UptimeRow {
  grid: string;
  building: string;
  device: string;
  kind: string;
  uptimePct: number | null;
  outages: number;
  unplannedMs: number;
  longestMs: number;
  intervals: { start: number; end: number; ongoing: boolean; planned: boolean }[];
}

export interface UptimeView {
  rows: UptimeRow[];
  summary: { devices: number; meanUptimePct: number | null; outages: number } | undefined;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numOr = <T>(v: unknown, d: T): number | T => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** the report's devices sorted by grid, building, device; undefined when it is not that shape */
export function uptimeView(report: unknown): UptimeView | undefined {
  if (!isObj(report) || !Array.isArray(report.devices)) return undefined;
  const rows = report.devices.filter(isObj).map((d): UptimeRow => ({
    grid: String(d.grid ?? ''), building: String(d.building ?? ''), device: String(d.device ?? ''), kind: String(d.kind ?? ''),
    uptimePct: numOr(d.uptimePct, null), outages: numOr(d.outages, 0), unplannedMs: numOr(d.unplannedMs, 0), longestMs: numOr(d.longestMs, 0),
    intervals: (Array.isArray(d.intervals) ? d.intervals : []).filter(isObj).map((i) => ({
      start: numOr(i.start, 0), end: numOr(i.end, 0), ongoing: i.ongoing === true, planned: i.planned === true,
    })),
  }));
  rows.sort((a, b) => a.grid.localeCompare(b.grid) || a.building.localeCompare(b.building) || a.device.localeCompare(b.device));
  const s = isObj(report.summary) ? report.summary : undefined;
  return { rows, summary: s && { devices: numOr(s.devices, rows.length), meanUptimePct: numOr(s.meanUptimePct, null), outages: numOr(s.outages, 0) } };
}

export function fmtPct(p: number | null): string {
  return p === null ? '—' : `${p >= 99.95 && p < 100 ? p.toFixed(2) : p.toFixed(1)}%`;
}

/** 0 → "0", 90 s → "2 min", 5400 s → "1 h 30 min", 2 d → "2 d 0 h" */
export function fmtDuration(ms: number, lang: Lang): string {
  const min = Math.round(ms / 60_000);
  if (min === 0) return ms > 0 ? (lang === 'zh' ? '<1分钟' : '<1 min') : '0';
  const [d, h, m] = [Math.floor(min / 1440), Math.floor((min % 1440) / 60), min % 60];
  const u = lang === 'zh' ? { d: '天', h: '小时', m: '分钟' } : { d: ' d', h: ' h', m: ' min' };
  if (d > 0) return `${d}${u.d} ${h}${u.h}`;
  return h > 0 ? `${h}${u.h} ${m}${u.m}` : `${m}${u.m}`;
}

export function fmtIntervals(r: UptimeRow, lang: Lang): string {
  return r.intervals.map((i) => `${fmtTime(i.start, lang)}–${i.ongoing ? '…' : fmtTime(i.end, lang)}${i.planned ? (lang === 'zh' ? '（计划）' : ' (planned)') : ''}`).join('; ') || '—';
}
