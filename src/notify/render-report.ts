// Pure rendering of a scheduled report's digest for the group chats (Chinese by default, English
// on request): uptime — period, devices, mean uptime, the worst devices, never-reported count;
// morning noise — each grid whose night broke the GB 3096 limit with its loudest building.
import type { NoiseMorningSummary, ReportDigest, UptimeDigestSummary } from '../core/report-digest.js';
import type { Lang, RenderedReport } from './types.js';

export interface RenderReportOptions {
  lang: Lang;
  /** e.g. https://gw.example.cn (http.publicUrl) — no trailing slash needed */
  baseUrl: string;
}

const L = {
  daily: { zh: '设备在线日报', en: 'Daily uptime report' },
  monthly: { zh: '设备在线月报', en: 'Monthly uptime report' },
  noise: { zh: '夜间噪声超标', en: 'Night noise over the limit' },
  period: { zh: '统计周期', en: 'Period' },
  devices: { zh: '设备数', en: 'Devices audited' },
  mean: { zh: '平均在线率', en: 'Mean uptime' },
  outages: { zh: '离线次数', en: 'Outages' },
  never: { zh: '从未上报', en: 'Never reported' },
  worst: { zh: '离线最久', en: 'Most time offline' },
  night: { zh: '夜间', en: 'Night of' },
  grids: { zh: '超标网格', en: 'Grids over the limit' },
  noData: { zh: '无数据', en: 'no data' },
  none: { zh: '无', en: 'none' },
  uptimeLink: { zh: '查看在线率报告', en: 'Open the uptime report' },
  noiseLink: { zh: '查看噪声报告', en: 'Open the noise report' },
  colon: { zh: '：', en: ': ' },
} as const;

const pct = (v: number | null, lang: Lang): string => (v === null ? L.noData[lang] : `${Math.round(v * 100) / 100}%`);
const db = (v: number | null, lang: Lang): string => (v === null ? L.noData[lang] : `${Math.round(v * 10) / 10} dB(A)`);

/** "2天3小时5分" / "2d 3h 5m"; under a minute "<1分" / "<1m". */
export function formatDuration(ms: number, lang: Lang): string {
  const min = Math.round(ms / 60_000);
  if (min < 1) return lang === 'zh' ? '<1分' : '<1m';
  const parts: [number, string, string][] = [[Math.floor(min / 1440), '天', 'd'], [Math.floor((min % 1440) / 60), '小时', 'h'], [min % 60, '分', 'm']];
  return parts.filter(([n]) => n > 0).map(([n, zh, en]) => (lang === 'zh' ? `${n}${zh}` : `${n}${en}`)).join(lang === 'zh' ? '' : ' ');
}

function uptimeLines(s: UptimeDigestSummary, period: string, lang: Lang): { rows: [string, string][]; list: string[] } {
  const rows: [string, string][] = [
    [L.period[lang], period],
    [L.devices[lang], String(s.devices)],
    [L.mean[lang], pct(s.meanUptimePct, lang)],
    [L.outages[lang], String(s.outages)],
    [L.never[lang], lang === 'zh' ? `${s.neverReported} 台` : String(s.neverReported)],
  ];
  const list = s.worst.map((w, i) => lang === 'zh'
    ? `${i + 1}. ${w.device}（${w.building}）离线 ${formatDuration(w.offlineMs, lang)}，${w.outages} 次，在线率 ${pct(w.uptimePct, lang)}`
    : `${i + 1}. ${w.device} (${w.building}) offline ${formatDuration(w.offlineMs, lang)}, ${w.outages} outage${w.outages === 1 ? '' : 's'}, uptime ${pct(w.uptimePct, lang)}`);
  return { rows, list };
}

function noiseLines(s: NoiseMorningSummary, lang: Lang): { rows: [string, string][]; list: string[] } {
  const rows: [string, string][] = [[L.night[lang], s.night], [L.grids[lang], String(s.grids.length)]];
  const list = s.grids.map((g) => lang === 'zh'
    ? `- ${g.gridName}：${g.buildingName} 夜间等效声级 ${db(g.laeq, lang)}，限值 ${g.limit} dB(A)${g.buildings > 1 ? `（共 ${g.buildings} 栋超标）` : ''}`
    : `- ${g.gridName}: ${g.buildingName} night LAeq ${db(g.laeq, lang)}, limit ${g.limit} dB(A)${g.buildings > 1 ? ` (${g.buildings} buildings over)` : ''}`);
  return { rows, list };
}

/** Render one digest. Pure: same input, same output. */
export function renderReport(d: ReportDigest, opts: RenderReportOptions): RenderedReport {
  const { lang } = opts;
  const base = opts.baseUrl.replace(/\/+$/, '');
  const sep = L.colon[lang];
  let name: string;
  let body: { rows: [string, string][]; list: string[] };
  let url: string;
  let link: string;
  let listHead: string;
  if (d.kind === 'noise-morning') {
    name = L.noise[lang];
    body = noiseLines(d.summary, lang);
    url = `${base}/#/noise`;
    link = L.noiseLink[lang];
    listHead = L.grids[lang];
  } else {
    name = d.kind === 'uptime-daily' ? L.daily[lang] : L.monthly[lang];
    body = uptimeLines(d.summary, d.period, lang);
    url = `${base}/#/uptime`;
    link = L.uptimeLink[lang];
    listHead = L.worst[lang];
  }
  const title = lang === 'zh' ? `【${name}】${d.period}` : `[${name}] ${d.period}`;
  const list = body.list.length > 0 ? body.list : [L.none[lang]];
  const markdown = [
    `### ${title}`,
    ...body.rows.map(([k, v]) => `**${k}**${sep}${v}  `),
    `**${listHead}**${sep}`,
    ...list.map((l) => `${l}  `),
    `[${link}](${url})`,
  ].join('\n');
  const text = [title, ...body.rows.map(([k, v]) => `${k}${sep}${v}`), `${listHead}${sep}`, ...list, `${link}${sep}${url}`].join('\n');
  return { lang, title, markdown, text, url };
}
