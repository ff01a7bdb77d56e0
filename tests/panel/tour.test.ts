// The built panel in real headless Chromium against a real contract server (fastify + socket.io,
// tests/panel/contract-server.ts): every page, live updates, the case buttons, zh/en, a phone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, DESKTOP, PHONE, buildPanel, launchChromium } from './browser.js';
import { startContractServer, type ContractServer } from './contract-server.js';

let server: ContractServer;
let browser: Browser;
const outDir = mkdtempSync(join(tmpdir(), 'gw-panel-dist-'));
const base = { device: 'gas-lty3-0101', rule: 'gas.lel.critical', kind: 'gas', severity: 'critical' as const, street: 'liulin', community: 'longtianyuan', grid: 'lty-1', building: 'lty-3', unit: '1单元101' };

beforeAll(async () => {
  await buildPanel(outDir);
  server = await startContractServer(Date.now(), outDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(outDir, { recursive: true, force: true });
});

async function signIn(page: Page): Promise<void> {
  await page.goto(`${server.url}/#/alerts`);
  await page.fill('input[name=username]', 'hantao');
  await page.fill('input[name=password]', 'wrong');
  await page.click('button[type=submit]');
  await page.waitForSelector('.note-error >> text=账号或密码错误');
  await page.fill('input[name=password]', 'pass-word-1');
  await page.click('button[type=submit]');
  await page.waitForSelector('.page-alerts');
  await page.waitForSelector('[data-live=on]');
}

describe('panel against the API contract', () => {
  it('shows a new critical case live, rings, acknowledges, closes with a note, shows the timeline', async () => {
    const ctx = await browser.newContext(DESKTOP);
    // record vibration patterns (headless Chromium has no vibration motor to observe)
    await ctx.addInitScript('window.__vibrations = []; navigator.vibrate = (p) => { window.__vibrations.push(p); return true; };');
    const page = await ctx.newPage();
    try {
      server.openCase({ ...base, id: 'case-warn', severity: 'warning', device: 'noise-lty5-roof', kind: 'noise', building: 'lty-5', unit: '楼顶', rule: 'noise.night', title: { zh: '夜间噪声超标', en: 'Night noise over limit' }, openedAt: Date.now() - 3_600_000 });
      await signIn(page);
      await page.waitForSelector('[data-case-id=case-warn]');
      expect(await page.textContent('html')).toContain('5号楼');

      const live = server.openCase({ ...base, id: 'case-gas', title: { zh: '燃气浓度达到 26% LEL', en: 'Gas at 26% LEL' }, openedAt: Date.now() });
      const card = page.locator(`[data-case-id=${live.id}]`);
      await card.waitFor();
      expect(await page.locator('.case').first().getAttribute('data-case-id')).toBe('case-gas'); // newest first
      expect(await page.getAttribute('body', 'data-rings')).toBe('1');
      expect(await page.evaluate<unknown>('window.__vibrations')).toEqual([[300, 150, 300, 150, 600]]);
      expect(await card.textContent()).toContain('紧急');
      await page.waitForSelector('[data-count=open] >> text=2'); // the warning and the new critical

      await card.locator('[data-action=ack]').click();
      await page.waitForSelector('[data-case-id=case-gas][data-state=acknowledged]');
      await page.waitForSelector('[data-count=open] >> text=1');
      expect(server.cases.get('case-gas')?.case.state).toBe('acknowledged');
      await page.screenshot({ path: join(ARTIFACTS, 'panel-alerts-zh-desktop.png') });

      await card.locator('[data-action=close]').click();
      await card.locator('[data-action=close-confirm]').click();
      await card.locator('.note-error >> text=销账须填写原因及处置措施').waitFor();
      expect(server.cases.get('case-gas')?.case.state).toBe('acknowledged');
      await card.locator('textarea[name=note]').fill('厨房软管老化漏气，已关阀更换');
      await card.locator('[data-action=close-confirm]').click();
      await card.waitFor({ state: 'detached' });
      expect(server.cases.get('case-gas')?.case).toMatchObject({ state: 'closed' });

      await page.goto(`${server.url}/#/alerts/case-gas`);
      await page.waitForSelector('.timeline li[data-action=closed]');
      const steps = await page.locator('.timeline li').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
      expect(steps).toEqual(['opened', 'acknowledged', 'closed']);
      expect(await page.textContent('.timeline')).toContain('厨房软管老化漏气');
      await page.waitForSelector('.detail .case-where >> text=3号楼');
      await page.screenshot({ path: join(ARTIFACTS, 'panel-case-detail-zh.png'), fullPage: true });
    } finally {
      await ctx.close();
    }
  });

  it('lists sensors by building with live values, charts a night of noise, lists uptime, switches to English', async () => {
    const ctx = await browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    try {
      await signIn(page);
      await page.click('nav a[href="#/sensors"]');
      await page.waitForSelector('[data-device=gas-lty3-0101]');
      expect(await page.getAttribute('[data-device=water-lty5-b1]', 'data-status')).toBe('offline');
      expect(await page.textContent('[data-device=smoke-lty3-0102]')).toContain('电量低');
      server.io.emit('reading', { device: 'gas-lty3-0101', ts: Date.now(), values: { lel: 12.5, valve: 'open' } });
      await page.waitForSelector('[data-device=gas-lty3-0101] .device-value >> text=12.5 % LEL');
      await page.screenshot({ path: join(ARTIFACTS, 'panel-sensors-zh.png'), fullPage: true });

      await page.click('nav a[href="#/noise"]');
      await page.selectOption('select[name=building]', 'lty-5');
      await page.click('.filters button[type=submit]');
      await page.waitForSelector('.chart canvas');
      expect(await page.locator('.noise-table tbody tr').count()).toBe(8);
      // zone 1: night limit 45 → LAeq 52, 47, 46 are over; at 01:00 Lmax 41+20=61 > 45+15 (impulse)
      const over = await page.locator('.noise-table tbody tr.over td:first-child').allTextContents();
      expect(over).toEqual(['22:00', '23:00', '01:00', '05:00']);
      await page.screenshot({ path: join(ARTIFACTS, 'panel-noise-zh.png'), fullPage: true });

      await page.click('nav a[href="#/uptime"]');
      await page.waitForSelector('table.uptime tbody tr');
      // seven whole Beijing days ending last midnight; the water sensor was offline one of them → 85.7 %
      const yesterday = new Date(Date.now() + 8 * 3_600_000 - 86_400_000).toISOString().slice(0, 10);
      await page.fill('input[name=to]', yesterday);
      await page.click('.filters button[type=submit]');
      await page.waitForSelector('table.uptime tr[data-device=water-lty5-b1] >> text=85.7%');
      expect(await page.locator('table.uptime tbody tr').count()).toBe(4);
      const water = await page.locator('table.uptime tr[data-device=water-lty5-b1] td').allTextContents();
      expect(water.slice(3, 8)).toEqual(['水浸', '85.7%', '1', '1天 0小时', '1天 0小时']);
      expect(await page.textContent('.page-uptime')).toContain('设备 4 台');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=csv]')]);
      expect(download.suggestedFilename()).toMatch(/^uptime-.*\.csv$/);
      await page.screenshot({ path: join(ARTIFACTS, 'panel-uptime-zh.png'), fullPage: true });

      await page.click('[data-action=lang]');
      await page.waitForSelector('nav a >> text=Alerts');
      await page.reload();
      await page.waitForSelector('h1 >> text=Uptime audit');
      await page.click('nav a[href="#/alerts"]');
      await page.screenshot({ path: join(ARTIFACTS, 'panel-alerts-en.png') });
      await page.click('[data-action=logout]');
      await page.waitForSelector('input[name=username]');
      expect(await page.evaluate<string | null>("localStorage.getItem('gw.session')")).toBeNull();
      await page.goto(`${server.url}/#/sensors`);
      await page.waitForSelector('form.login >> text=Sign in'); // still English, still signed out
    } finally {
      await ctx.close();
    }
  });

  it('fits a 375 px phone: no sideways scrolling, big buttons, acknowledge by tap', async () => {
    const ctx = await browser.newContext(PHONE);
    const page = await ctx.newPage();
    try {
      server.openCase({ ...base, id: 'case-phone', device: 'smoke-lty3-0102', kind: 'smoke', unit: '1单元102', title: { zh: '烟雾报警', en: 'Smoke alarm' }, openedAt: Date.now() });
      await signIn(page);
      const card = page.locator('[data-case-id=case-phone]');
      await card.waitFor();
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      const box = await card.locator('[data-action=ack]').boundingBox();
      expect(box?.height).toBeGreaterThanOrEqual(44);
      await page.screenshot({ path: join(ARTIFACTS, 'panel-alerts-zh-phone.png') });
      await card.locator('[data-action=ack]').tap();
      await page.waitForSelector('[data-case-id=case-phone][data-state=acknowledged]');
      expect(server.cases.get('case-phone')?.case.state).toBe('acknowledged');
    } finally {
      await ctx.close();
    }
  });
});
