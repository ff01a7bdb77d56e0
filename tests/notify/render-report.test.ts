import { describe, expect, it } from 'vitest';
import type { ReportDigest } from '../../src/core/report-digest.js';
import { formatDuration, renderReport } from '../../src/notify/render-report.js';
import { MORNING_DIGEST, UPTIME_DIGEST, UPTIME_SUMMARY } from './fixtures.js';

const H = 3_600_000;

describe('renderReport (uptime)', () => {
  it('renders the daily uptime digest in Chinese by default with the worst devices and a link', () => {
    const r = renderReport(UPTIME_DIGEST, { lang: 'zh', baseUrl: 'https://gw.example.cn/' });
    expect(r.title).toBe('【设备在线日报】2026-03-05');
    expect(r.url).toBe('https://gw.example.cn/#/uptime');
    expect(r.markdown.split('\n')).toEqual([
      '### 【设备在线日报】2026-03-05',
      '**统计周期**：2026-03-05  ',
      '**设备数**：8  ',
      '**平均在线率**：96.46%  ',
      '**离线次数**：4  ',
      '**从未上报**：1 台  ',
      '**离线最久**：',
      '1. gas-flap（1号楼）离线 2小时15分，3 次，在线率 90.63%  ',
      '2. smk-across（1号楼）离线 1天2小时，1 次，在线率 无数据  ',
      '[查看在线率报告](https://gw.example.cn/#/uptime)',
    ]);
    expect(r.text).toContain('平均在线率：96.46%');
    expect(r.text).not.toContain('**');
    expect(r.text.endsWith('查看在线率报告：https://gw.example.cn/#/uptime')).toBe(true);
  });

  it('renders the monthly digest in English, and says none when no device was offline', () => {
    const monthly: ReportDigest = { ...UPTIME_DIGEST, kind: 'uptime-monthly', period: '2026-03', summary: { ...UPTIME_SUMMARY, worst: [], meanUptimePct: null } };
    const r = renderReport(monthly, { lang: 'en', baseUrl: 'http://hub:8080' });
    expect(r.title).toBe('[Monthly uptime report] 2026-03');
    expect(r.text.split('\n')).toEqual([
      '[Monthly uptime report] 2026-03',
      'Period: 2026-03',
      'Devices audited: 8',
      'Mean uptime: no data',
      'Outages: 4',
      'Never reported: 1',
      'Most time offline: ',
      'none',
      'Open the uptime report: http://hub:8080/#/uptime',
    ]);
  });

  it('English worst-device lines say outages and durations', () => {
    const r = renderReport(UPTIME_DIGEST, { lang: 'en', baseUrl: 'http://hub' });
    expect(r.markdown).toContain('1. gas-flap (1号楼) offline 2h 15m, 3 outages, uptime 90.63%  ');
    expect(r.markdown).toContain('2. smk-across (1号楼) offline 1d 2h, 1 outage, uptime no data  ');
  });
});

describe('renderReport (morning noise)', () => {
  it('lists each grid over the limit with its loudest building against the limit (zh)', () => {
    const r = renderReport(MORNING_DIGEST, { lang: 'zh', baseUrl: 'https://gw.example.cn' });
    expect(r.title).toBe('【夜间噪声超标】2026-03-05');
    expect(r.url).toBe('https://gw.example.cn/#/noise');
    expect(r.markdown).toContain('**超标网格**：2  ');
    expect(r.markdown).toContain('- 第一网格：3号楼 夜间等效声级 49 dB(A)，限值 45 dB(A)（共 2 栋超标）  ');
    expect(r.markdown).toContain('- 第二网格：2号楼 夜间等效声级 无数据，限值 50 dB(A)  ');
    expect(r.markdown.endsWith('[查看噪声报告](https://gw.example.cn/#/noise)')).toBe(true);
  });

  it('in English', () => {
    const r = renderReport(MORNING_DIGEST, { lang: 'en', baseUrl: 'https://gw.example.cn' });
    expect(r.title).toBe('[Night noise over the limit] 2026-03-05');
    expect(r.text).toContain('Night of: 2026-03-05');
    expect(r.text).toContain('- 第一网格: 3号楼 night LAeq 49 dB(A), limit 45 dB(A) (2 buildings over)');
    expect(r.text).toContain('- 第二网格: 2号楼 night LAeq no data, limit 50 dB(A)');
  });

  it('is pure: the same digest renders the same', () => {
    const opts = { lang: 'zh', baseUrl: 'https://gw.example.cn' } as const;
    expect(renderReport(MORNING_DIGEST, opts)).toEqual(renderReport(MORNING_DIGEST, opts));
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '<1分', '<1m'],
    [29_000, '<1分', '<1m'],
    [60_000, '1分', '1m'],
    [H, '1小时', '1h'],
    [25 * H + 60_000, '1天1小时1分', '1d 1h 1m'],
    [3 * 24 * H, '3天', '3d'],
  ])('%i ms', (ms, zh, en) => {
    expect(formatDuration(ms, 'zh')).toBe(zh);
    expect(formatDuration(ms, 'en')).toBe(en);
  });
});
