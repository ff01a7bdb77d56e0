// Case history and the street office's ledger (issue 11, point 5), in Chromium against the REAL
// hub: closed cases listed and filtered (community, grid, state, search), a grid worker sees only
// her grid, and the Excel and CSV exports are downloaded, opened (exceljs) and checked: names,
// not ids; time to acknowledge and to close.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertCase } from '../../src/core/alert-types.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { until } from '../helpers/hub.js';
import { ARTIFACTS, PHONE, launchChromium } from './browser.js';
import { signIn, startPanelHub, type PanelHub } from './real-hub.js';

const DESK = { viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true };
let influx: TestInflux;
let t: PanelHub;
let browser: Browser;

/** a critical gas case on `device`, acknowledged, resolved and closed by `who` (the gas still reads high: overrides) */
async function closedCase(device: string, who: string, note: string): Promise<AlertCase> {
  await t.publish(device, { lel: 30, battery: 90 });
  const c = await until(async () => (await t.api<AlertCase[]>(who, `/alerts?device=${device}`)).body[0], 30_000, `case of ${device}`);
  expect((await t.api(who, `/alerts/${c.id}/ack`, { method: 'POST', body: {} })).status).toBe(200);
  expect((await t.api(who, `/alerts/${c.id}/resolve`, { method: 'POST', body: { override: '阀门已关，燃气公司已到场' } })).status).toBe(200);
  const closed = await t.api<AlertCase>(who, `/alerts/${c.id}/close`, { method: 'POST', body: { note, override: '残留读数，现场复测为0' } });
  expect(closed.status).toBe(200);
  return closed.body;
}

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startPanelHub(influx.url);
  browser = await launchChromium();
  await closedCase('gas-lty8-0201', 'chenjing', '灶具接口松动，已更换');
  await closedCase('gas-xf3-0101', 'liuyang', '热水器排烟管脱落，已复位');
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await influx?.cleanup();
});

describe('the case ledger', () => {
  it('street desk: closed cases filtered by community, grid and search; exports opened and checked', async () => {
    const ctx = await browser.newContext(DESK);
    const page = await ctx.newPage();
    try {
      await signIn(page, t.base, 'street');
      await page.click('nav a[href="#/history"]');
      await page.selectOption('select[name=state]', 'closed');
      await page.click('.filters button[type=submit]');
      await page.waitForSelector('[data-count="2"]');
      await page.selectOption('select[name=community]', 'xf');
      await page.click('.filters button[type=submit]');
      await page.waitForSelector('[data-count="1"]');
      expect(await page.textContent('table.ledger tbody')).toContain('幸福里社区 · 第一网格 · 3号楼');
      await page.selectOption('select[name=community]', '');
      await page.selectOption('select[name=grid]', 'lty-2');
      await page.click('.filters button[type=submit]');
      await page.waitForSelector('[data-count="1"]');
      await page.selectOption('select[name=grid]', '');
      await page.fill('input[name=q]', '灶具');
      await page.click('.filters button[type=submit]');
      await page.waitForSelector('[data-count="1"]');
      const row = (await page.textContent('table.ledger tbody')) ?? '';
      expect(row).toContain('陈静');
      expect(row).toContain('龙天园社区 · 第二网格 · 8号楼 2单元301');
      expect(row).not.toContain('chenjing');
      await page.fill('input[name=q]', '');
      await page.click('.filters button[type=submit]');
      await page.waitForSelector('[data-count="2"]');
      await page.screenshot({ path: join(ARTIFACTS, 'history-desk.png') });

      const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=export-xlsx]')]);
      const file = join(ARTIFACTS, 'ledger.xlsx');
      await xlsx.saveAs(file);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(file);
      const ws = wb.worksheets[0];
      if (!ws) throw new Error('no worksheet');
      const header = (ws.getRow(1).values as unknown[]).slice(1);
      expect(header).toEqual(expect.arrayContaining(['确认人', '确认用时（分钟）', '销账用时（分钟）', '原因及处置措施', '社区', '网格']));
      const rows = [];
      for (let i = 2; i <= ws.rowCount; i++) rows.push(Object.fromEntries(header.map((h, j) => [String(h), ws.getRow(i).getCell(j + 1).value])));
      expect(rows).toHaveLength(2);
      const lty = rows.find((r) => r['社区'] === '龙天园社区');
      expect(lty).toMatchObject({ 网格: '第二网格', 楼栋: '8号楼', 确认人: '陈静', 状态: '已销账', 级别: '紧急', 原因及处置措施: '灶具接口松动，已更换' });
      expect(typeof lty?.['确认用时（分钟）']).toBe('number');
      expect(typeof lty?.['销账用时（分钟）']).toBe('number');
      expect(String(lty?.['条件未解除时强制处置的理由'])).toContain('陈静: 阀门已关，燃气公司已到场');
      expect(JSON.stringify(rows)).not.toMatch(/chenjing|liuyang/);

      const [csv] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=export-csv]')]);
      const csvFile = join(ARTIFACTS, 'ledger.csv');
      await csv.saveAs(csvFile);
      const text = readFileSync(csvFile, 'utf8');
      expect(text.split('\r\n').filter(Boolean)).toHaveLength(3);
      expect(text).toContain('刘洋');
      expect(text).toContain('热水器排烟管脱落，已复位');
    } finally {
      await ctx.close();
    }
  });

  it('phone: the grid worker of 第二网格 sees her own grid only', async () => {
    const ctx = await browser.newContext(PHONE);
    const page = await ctx.newPage();
    try {
      await signIn(page, t.base, 'chenjing');
      await page.goto(`${t.base}/#/history`);
      await page.waitForSelector('[data-count="1"]');
      expect(await page.textContent('table.ledger tbody')).toContain('8号楼');
      await page.screenshot({ path: join(ARTIFACTS, 'history-phone.png') });
    } finally {
      await ctx.close();
    }
  });
});
