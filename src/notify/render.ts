// Pure rendering of a notification into people's words (Chinese by default, English on request).
// No clock, no I/O: everything it shows comes in through the arguments.
import { fieldMeta } from '../kinds/meta.js';
import type { AlertCase, Notification, Person } from '../core/alert-types.js';
import type { Severity } from '../core/domain.js';
import type { Lang, RenderedMessage } from './types.js';

export interface PlaceNames {
  street: string;
  community: string;
  grid: string;
  building: string;
}

export interface RenderOptions {
  lang: Lang;
  /** e.g. https://gw.example.cn (http.publicUrl) — no trailing slash needed */
  baseUrl: string;
  /** display names of the case's place; ids are used where a name is missing */
  place?: Partial<PlaceNames>;
  /** IANA zone for times, default Asia/Shanghai */
  timezone?: string;
}

const SEVERITY: Record<Severity, Record<Lang, string>> = {
  critical: { zh: '严重', en: 'CRITICAL' },
  warning: { zh: '警告', en: 'WARNING' },
  info: { zh: '提示', en: 'INFO' },
};

const REASON: Record<string, Record<Lang, string>> = {
  opened: { zh: '新告警', en: 'new alert' },
  escalated: { zh: '告警升级', en: 'escalated' },
  reopened: { zh: '告警重新打开', en: 'reopened' },
  reassigned: { zh: '告警已转派', en: 'reassigned' },
  reminder: { zh: '提醒', en: 'reminder' },
  resolved: { zh: '已恢复', en: 'resolved' },
};


const LABELS = {
  place: { zh: '位置', en: 'Place' },
  device: { zh: '设备', en: 'Device' },
  reading: { zh: '读数', en: 'Reading' },
  severity: { zh: '级别', en: 'Severity' },
  time: { zh: '时间', en: 'Time' },
  reason: { zh: '原因', en: 'Reason' },
  to: { zh: '通知', en: 'To' },
  ack: { zh: '点击确认处理', en: 'Acknowledge' },
  step: { zh: (n: number) => `第 ${n} 级通知`, en: (n: number) => `step ${n}` },
  yes: { zh: '是', en: 'yes' },
  no: { zh: '否', en: 'no' },
  none: { zh: '无', en: 'none' },
  fallback: { zh: '，值班人员缺位，已上报', en: ', no one on duty: passed up the chain' },
  /** separators: between readings, between names, after a label */
  comma: { zh: '，', en: ', ' },
  names: { zh: '、', en: ', ' },
  colon: { zh: '：', en: ': ' },
} as const;

/** English only when every recipient asked for English; a group message defaults to Chinese. */
export function chooseLang(recipients: readonly Pick<Person, 'lang'>[]): Lang {
  return recipients.length > 0 && recipients.every((r) => r.lang === 'en') ? 'en' : 'zh';
}

export function ackUrl(baseUrl: string, caseId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/#/alerts/${encodeURIComponent(caseId)}`;
}

export function formatTime(ts: number, lang: Lang, timezone = 'Asia/Shanghai'): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ts));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  const s = `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
  return lang === 'en' ? `${s} (${timezone})` : s;
}

function formatValue(value: unknown, lang: Lang): string | undefined {
  if (typeof value === 'boolean') return value ? LABELS.yes[lang] : LABELS.no[lang];
  if (typeof value === 'number') return Number.isFinite(value) ? String(Math.round(value * 100) / 100) : undefined;
  if (typeof value === 'string') return value;
  return undefined;
}

/** "可燃气体浓度 23.5 %LEL，一氧化碳 12 ppm" from the case's trigger (a Reading or loose fields). */
export function formatReading(trigger: Record<string, unknown>, lang: Lang): string {
  const values = typeof trigger.values === 'object' && trigger.values !== null ? (trigger.values as Record<string, unknown>) : trigger;
  const skip = new Set(['device', 'kind', 'ts', 'seq', 'values']);
  const out: string[] = [];
  for (const [key, raw] of Object.entries(values)) {
    if (skip.has(key)) continue;
    const v = formatValue(raw, lang);
    if (v === undefined) continue;
    const f = fieldMeta(key); // labels and units: the kinds' own (src/kinds/meta.ts)
    const label = f ? f.label[lang] : key;
    out.push(f?.unit ? `${label} ${v} ${f.unit}` : `${label} ${v}`);
  }
  return out.length > 0 ? out.join(LABELS.comma[lang]) : LABELS.none[lang];
}

export function placeLine(c: AlertCase, names: Partial<PlaceNames> = {}): string {
  const parts = [names.street ?? c.street, names.community ?? c.community, names.grid ?? c.grid, names.building ?? c.building];
  if (c.unit) parts.push(c.unit);
  return parts.join(' / ');
}

/** Render one notification. Pure: same input, same output. */
export function render(n: Notification, opts: RenderOptions): RenderedMessage {
  const { lang } = opts;
  const c = n.case;
  const sev = SEVERITY[c.severity][lang];
  const building = opts.place?.building ?? c.building;
  const title = lang === 'zh' ? `【${sev}】${c.title.zh} · ${building}` : `[${sev}] ${c.title.en} · ${building}`;
  const link = ackUrl(opts.baseUrl, c.id);
  const readingTs = typeof c.trigger.ts === 'number' ? c.trigger.ts : c.openedAt;
  const fallback = n.fallback ? LABELS.fallback[lang] : '';
  const reason = `${REASON[n.reason]?.[lang] ?? n.reason} (${LABELS.step[lang](n.step + 1)})${fallback}`;
  const to = n.recipients.length > 0 ? n.recipients.map((r) => r.name).join(LABELS.names[lang]) : LABELS.none[lang];
  const sep = LABELS.colon[lang];
  const rows: [string, string][] = [
    [LABELS.place[lang], placeLine(c, opts.place)],
    [LABELS.device[lang], c.device],
    [LABELS.reading[lang], formatReading(c.trigger, lang)],
    [LABELS.severity[lang], sev],
    [LABELS.time[lang], formatTime(readingTs, lang, opts.timezone)],
    [LABELS.reason[lang], reason],
    [LABELS.to[lang], to],
  ];
  const markdown = [`### ${title}`, ...rows.map(([k, v]) => `**${k}**${sep}${v}  `), `[${LABELS.ack[lang]}](${link})`].join('\n');
  const text = [title, ...rows.map(([k, v]) => `${k}${sep}${v}`), `${LABELS.ack[lang]}${sep}${link}`].join('\n');
  return { lang, title, markdown, text, ackUrl: link };
}
