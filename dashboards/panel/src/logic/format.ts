// How times, readings and report cells are written on screen (pure; language passed in).
import { fieldMeta } from '../../../../src/kinds/meta.js'; // units: the kinds' own (pure data)
import type { Lang } from '../i18n/lang.js';

export const TIME_ZONE = 'Asia/Shanghai';

export function fmtTime(ms: number | null | undefined, lang: Lang, withDate = true): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: TIME_ZONE,
    ...(withDate ? { month: '2-digit', day: '2-digit' } : {}),
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(ms);
}

const FLAGS: Record<string, { zh: [string, string]; en: [string, string] }> = {
  alarm: { zh: ['烟雾报警', '无烟'], en: ['smoke alarm', 'clear'] },
  leak: { zh: ['漏水', '无漏水'], en: ['leak', 'dry'] },
};
const VALVE: Record<string, { zh: string; en: string }> = { open: { zh: '阀门开', en: 'valve open' }, closed: { zh: '阀门关', en: 'valve closed' } };

/** a reading's own values, e.g. "26 % LEL · 阀门关" */
export function fmtValues(values: Record<string, unknown> | undefined, lang: Lang): string {
  if (!values) return '—';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (k === 'battery' || k === 'rssi' || k === 'seq' || k === 'interval_s') continue;
    const flag = FLAGS[k];
    if (flag && typeof v === 'boolean') parts.push(flag[lang][v ? 0 : 1]);
    else if (k === 'valve' && typeof v === 'string') parts.push(VALVE[v]?.[lang] ?? v);
    else if (typeof v === 'number') parts.push(`${Math.round(v * 10) / 10} ${fieldMeta(k)?.unit ?? k}`);
  }
  return parts.length ? parts.join(' · ') : '—';
}

/** one cell of a report table from whatever JSON value the report holds */
export function fmtCell(v: unknown, lang: Lang): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((x) => fmtInterval(x, lang) ?? fmtCell(x, lang)).join('; ');
  return JSON.stringify(v);
}

/** {from,to} (or {start,end}) as "11-20 22:05–23:10" */
function fmtInterval(x: unknown, lang: Lang): string | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const o = x as Record<string, unknown>;
  const a = o.from ?? o.start;
  const b = o.to ?? o.end;
  if (typeof a !== 'number') return undefined;
  return `${fmtTime(a, lang)}–${typeof b === 'number' ? fmtTime(b, lang, false) : '…'}`;
}

/** rows of objects to a table: columns in first-seen order */
export function toTable(rows: unknown): { columns: string[]; rows: Record<string, unknown>[] } {
  const list = Array.isArray(rows) ? rows : rows && typeof rows === 'object' ? findRowArray(rows as Record<string, unknown>) : [];
  const objs = list.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r));
  const columns: string[] = [];
  for (const r of objs) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  return { columns, rows: objs };
}

/** a report object like { period, rows: [...] } or { devices: [...] }: its first array of objects */
function findRowArray(o: Record<string, unknown>): unknown[] {
  for (const v of Object.values(o)) if (Array.isArray(v) && v.some((x) => typeof x === 'object' && x !== null)) return v;
  return [];
}
