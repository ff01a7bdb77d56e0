// The street office's case ledger (建档销账) as rows: one per case, names instead of ids, the
// minutes to acknowledge and to close, override reasons from the ledger. Pure: cases, ledgers,
// the site tree and the people are passed in.
import type { AlertCase, LedgerEntry } from '../../core/alert-types.js';
import type { SiteIndex } from '../../config/site.js';

export interface LedgerQuery { q?: string; community?: string; kind?: string }

export interface LedgerRow {
  id: string;
  openedAt: number;
  title: string;
  kind: string;
  severity: string;
  state: string;
  community: string;
  grid: string;
  building: string;
  unit: string;
  device: string;
  trigger: string;
  assignee: string;
  acknowledgedBy: string;
  acknowledgedAt: number | null;
  minutesToAck: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  minutesToClose: number | null;
  closeNote: string;
  overrides: string;
  raised: string;
}

/** the columns of the export, in order, with their Chinese and English headings */
export const LEDGER_COLUMNS: { key: keyof LedgerRow; zh: string; en: string }[] = [
  { key: 'id', zh: '案件编号', en: 'Case' },
  { key: 'openedAt', zh: '发生时间', en: 'Opened' },
  { key: 'title', zh: '告警', en: 'Alert' },
  { key: 'kind', zh: '类型', en: 'Kind' },
  { key: 'severity', zh: '级别', en: 'Severity' },
  { key: 'state', zh: '状态', en: 'State' },
  { key: 'community', zh: '社区', en: 'Community' },
  { key: 'grid', zh: '网格', en: 'Grid' },
  { key: 'building', zh: '楼栋', en: 'Building' },
  { key: 'unit', zh: '单元/户', en: 'Unit' },
  { key: 'device', zh: '设备', en: 'Device' },
  { key: 'trigger', zh: '触发读数', en: 'Trigger' },
  { key: 'assignee', zh: '责任人', en: 'Assignee' },
  { key: 'acknowledgedBy', zh: '确认人', en: 'Acknowledged by' },
  { key: 'acknowledgedAt', zh: '确认时间', en: 'Acknowledged' },
  { key: 'minutesToAck', zh: '确认用时（分钟）', en: 'Minutes to acknowledge' },
  { key: 'resolvedAt', zh: '处置时间', en: 'Resolved' },
  { key: 'closedAt', zh: '销账时间', en: 'Closed' },
  { key: 'minutesToClose', zh: '销账用时（分钟）', en: 'Minutes to close' },
  { key: 'closeNote', zh: '原因及处置措施', en: 'Cause and action' },
  { key: 'overrides', zh: '条件未解除时强制处置的理由', en: 'Override reasons' },
  { key: 'raised', zh: '级别升级', en: 'Severity raised' },
];

const SEVERITY_ZH: Record<string, string> = { critical: '紧急', warning: '警告', info: '提示' };
const STATE_ZH: Record<string, string> = { open: '待确认', acknowledged: '已确认', resolved: '已处置', closed: '已销账' };
const KIND_ZH: Record<string, string> = { smoke: '烟感', gas: '燃气', noise: '噪声', water: '水浸' };

function minutes(from: number, to: number | undefined): number | null {
  return to === undefined ? null : Math.round((to - from) / 6000) / 10;
}

function triggerText(trigger: Record<string, unknown>): string {
  const values = (trigger.values ?? trigger) as Record<string, unknown>;
  return Object.entries(values).filter(([, v]) => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string').filter(([k]) => !['ts', 'seq', 'rssi'].includes(k)).map(([k, v]) => `${k}=${String(v)}`).join(' ');
}

/** who people are, by id (a case may name someone since removed: the id stays) */
export type NameOf = (id: string | undefined) => string;

export function ledgerRow(c: AlertCase, ledger: readonly LedgerEntry[], site: SiteIndex, nameOf: NameOf, lang: 'zh' | 'en'): LedgerRow {
  const zh = lang === 'zh';
  const overrides = ledger.flatMap((e) => {
    const o = (e.data?.override ?? undefined) as { reason?: string } | undefined;
    return o?.reason ? [`${nameOf(e.actor)}: ${o.reason}`] : [];
  });
  const raised = ledger.filter((e) => e.action === 'severity_raised').map((e) => `${String(e.data?.from)}→${String(e.data?.to)}`);
  return {
    id: c.id,
    openedAt: c.openedAt,
    title: c.title[lang] || c.title.zh,
    kind: zh ? (KIND_ZH[c.kind] ?? c.kind) : c.kind,
    severity: zh ? (SEVERITY_ZH[c.severity] ?? c.severity) : c.severity,
    state: zh ? (STATE_ZH[c.state] ?? c.state) : c.state,
    community: site.communities.get(c.community)?.name ?? c.community,
    grid: site.grids.get(c.grid)?.name ?? c.grid,
    building: site.buildings.get(c.building)?.name ?? c.building,
    unit: c.unit ?? '',
    device: c.device,
    trigger: triggerText(c.trigger),
    assignee: c.assignee ? nameOf(c.assignee) : '',
    acknowledgedBy: c.acknowledgedBy ? nameOf(c.acknowledgedBy) : '',
    acknowledgedAt: c.acknowledgedAt ?? null,
    minutesToAck: minutes(c.openedAt, c.acknowledgedAt),
    resolvedAt: c.resolvedAt ?? null,
    closedAt: c.closedAt ?? null,
    minutesToClose: minutes(c.openedAt, c.closedAt),
    closeNote: c.closeNote ?? '',
    overrides: overrides.join('; '),
    raised: raised.join('; '),
  };
}

/** the free-text search, community and kind filters the SQL filter does not cover */
export function matches(c: AlertCase, row: LedgerRow, q: LedgerQuery): boolean {
  if (q.community !== undefined && c.community !== q.community) return false;
  if (q.kind !== undefined && c.kind !== q.kind) return false;
  const text = q.q?.trim().toLowerCase();
  if (!text) return true;
  return [row.title, row.community, row.grid, row.building, row.unit, row.device, row.assignee, row.acknowledgedBy, row.closeNote, row.overrides, c.title.zh, c.title.en]
    .some((s) => s.toLowerCase().includes(text));
}

/** Beijing wall-clock time for the files: "2026-11-29 22:05" */
export function localStamp(ms: number | null): string {
  if (ms === null) return '';
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}

function csvCell(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const TIMES = new Set<keyof LedgerRow>(['openedAt', 'acknowledgedAt', 'resolvedAt', 'closedAt']);

export function cellOf(row: LedgerRow, key: keyof LedgerRow): string | number | null {
  const v = row[key];
  return TIMES.has(key) ? localStamp(v as number | null) : v;
}

/** CSV with a BOM so spreadsheet programs read the Chinese as UTF-8 */
export function ledgerCsv(rows: readonly LedgerRow[], lang: 'zh' | 'en'): string {
  const head = LEDGER_COLUMNS.map((c) => csvCell(c[lang])).join(',');
  const body = rows.map((r) => LEDGER_COLUMNS.map((c) => csvCell(cellOf(r, c.key))).join(','));
  return `\uFEFF${[head, ...body].join('\r\n')}\r\n`;
}
