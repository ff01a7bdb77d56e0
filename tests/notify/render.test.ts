import { describe, expect, it } from 'vitest';
import { ackUrl, chooseLang, formatReading, formatTime, placeLine, render } from '../../src/notify/render.js';
import { ALICE, HANTAO, T0, makeCase, makeNotification } from './fixtures.js';

const place = { street: '柳林街道', community: '龙天园社区', grid: '第一网格', building: '3号楼' };

describe('render (zh, default)', () => {
  const m = render(makeNotification(), { lang: 'zh', baseUrl: 'https://gw.example.cn/', place });

  it('titles with severity, rule title and building', () => {
    expect(m.lang).toBe('zh');
    expect(m.title).toBe('【严重】燃气浓度超标 · 3号楼');
  });

  it('shows the whole place, the reading, severity, local time, reason and recipients', () => {
    expect(m.text).toContain('位置：柳林街道 / 龙天园社区 / 第一网格 / 3号楼 / 1单元101');
    expect(m.text).toContain('读数：可燃气体浓度 23.46 % LEL，一氧化碳 12 ppm，阀门 open');
    expect(m.text).toContain('级别：严重');
    expect(m.text).toContain('时间：2026-11-23 21:03:05');
    expect(m.text).toContain('原因：新告警 (第 1 级通知)');
    expect(m.text).toContain('通知：韩涛');
    expect(m.text).toContain('设备：gas-lty3-0101');
  });

  it('links to the case for acknowledgement', () => {
    expect(m.ackUrl).toBe('https://gw.example.cn/#/alerts/c-0001');
    expect(m.markdown).toContain('[点击确认处理](https://gw.example.cn/#/alerts/c-0001)');
    expect(m.markdown.startsWith('### 【严重】燃气浓度超标 · 3号楼\n')).toBe(true);
  });

  it('says when nobody was on duty and the case went up the chain', () => {
    const f = render(makeNotification({ fallback: true, reason: 'escalated', step: 1 }), { lang: 'zh', baseUrl: 'http://h:8080' });
    expect(f.text).toContain('原因：告警升级 (第 2 级通知)，值班人员缺位，已上报');
  });
});

describe('render (en)', () => {
  const n = makeNotification({ recipients: [ALICE], reason: 'escalated', step: 1 }, { severity: 'warning' });
  const m = render(n, { lang: 'en', baseUrl: 'http://hub.local:8080', place });

  it('is English throughout', () => {
    expect(m.title).toBe('[WARNING] Gas concentration high · 3号楼');
    expect(m.text).toContain('Reading: methane 23.46 % LEL, CO 12 ppm, valve open');
    expect(m.text).toContain('Severity: WARNING');
    expect(m.text).toContain('Time: 2026-11-23 21:03:05 (Asia/Shanghai)');
    expect(m.text).toContain('Reason: escalated (step 2)');
    expect(m.text).toContain('To: Alice');
    expect(m.text).toContain('Acknowledge: http://hub.local:8080/#/alerts/c-0001');
    for (const zhLabel of ['位置', '读数', '级别', '时间', '原因', '通知', '确认']) expect(m.text).not.toContain(zhLabel);
  });
});

describe('helpers', () => {
  it('chooses English only when every recipient asked for it', () => {
    expect(chooseLang([])).toBe('zh');
    expect(chooseLang([HANTAO])).toBe('zh');
    expect(chooseLang([ALICE])).toBe('en');
    expect(chooseLang([ALICE, HANTAO])).toBe('zh');
  });

  it('escapes the case id in the link and trims trailing slashes', () => {
    expect(ackUrl('http://a//', 'x/y z')).toBe('http://a/#/alerts/x%2Fy%20z');
  });

  it('formats booleans, loose trigger fields and unknown keys', () => {
    expect(formatReading({ values: { alarm: true, obscuration: 4.2 } }, 'zh')).toBe('烟雾报警 是，减光率 4.2 %/m');
    expect(formatReading({ leak: false, level_mm: 3 }, 'en')).toBe('leak no, water level 3 mm');
    expect(formatReading({ device: 'd', silentForS: 900 }, 'en')).toBe('silentForS 900');
    expect(formatReading({ values: { nested: { a: 1 } } }, 'zh')).toBe('无');
  });

  it('formats time in the given zone', () => {
    expect(formatTime(T0, 'zh', 'UTC')).toBe('2026-11-23 13:03:05');
  });

  it('uses ids where a place has no name', () => {
    expect(placeLine(makeCase({ unit: undefined }), { street: '柳林街道' })).toBe('柳林街道 / longtianyuan / lty-1 / lty-3');
  });
});
