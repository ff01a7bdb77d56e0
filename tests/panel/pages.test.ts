// Sensors, noise, header, favicon and unknown paths (issue 11, point 7), in Chromium against the
// REAL hub: sensors grouped by community and grid (two 3号楼 told apart), filters for alarm and
// low battery, "x分钟前"; the noise page opens on a building that has a noise sensor; the header
// names who is logged in; unknown browser paths get a page, the API keeps its JSON.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, PHONE } from './browser.js';
import { DESK, signIn, usePanelRig } from './real-hub.js';

const rig = usePanelRig();

describe('sensors, noise, header, not found', () => {
  it('desk: sensors grouped by community and grid, filters for alarm and low battery, last report in words; header names the user', async () => {
    const ctx = await rig.browser.newContext(DESK);
    const page = await ctx.newPage();
    try {
      await rig.t.publish('gas-lty3-0302', { lel: 1, battery: 9 });
      await rig.t.publish('gas-xf3-0101', { lel: 1, battery: 80 });
      await signIn(page, rig.t.base, 'street');
      expect(await page.textContent('[data-user=street]')).toBe('街道值班员（街道）');
      await page.click('nav a[href="#/sensors"]');
      await page.waitForSelector('[data-device=gas-xf3-0101]');
      const heads = await page.locator('section.building h2').allTextContents();
      expect(heads.map((s) => s.replace(/\d+$/, ''))).toEqual(expect.arrayContaining(['龙天园社区 · 第一网格', '幸福里社区 · 第一网格', '龙天园社区 · 第二网格']));
      expect(await page.textContent('section[data-grid=xf-1] [data-device=gas-xf3-0101] .unit')).toContain('3号楼');
      expect(await page.textContent('[data-device=gas-xf3-0101] [data-seen]')).toBe('最后上报 刚刚');
      await rig.t.publish('smoke-lty3-0101', { alarm: true, obscuration: 9, battery: 90 });
      await page.waitForSelector('[data-device=smoke-lty3-0101][data-status=alarm]', { timeout: 30_000 });
      await page.click('[data-filter=alarm]');
      await page.waitForSelector('[data-filter=alarm][aria-pressed=true]');
      expect(await page.locator('li.device').evaluateAll((els) => els.map((e) => e.getAttribute('data-device')))).toEqual(['smoke-lty3-0101']);
      await page.click('[data-filter=low_battery]');
      await page.waitForSelector('[data-filter=low_battery][aria-pressed=true]');
      expect(await page.locator('li.device').evaluateAll((els) => els.map((e) => e.getAttribute('data-device')))).toEqual(['gas-lty3-0302']);
      await page.click('[data-filter=all]');
      await page.screenshot({ path: join(ARTIFACTS, 'sensors-desk.png'), fullPage: true });
    } finally {
      await ctx.close();
    }
  });

  it('phone: the noise page opens on a building with a noise sensor; unknown paths get a page', async () => {
    const ctx = await rig.browser.newContext(PHONE);
    const page = await ctx.newPage();
    try {
      await signIn(page, rig.t.base, 'chenjing');
      await page.click('nav a[href="#/noise"]');
      await page.waitForSelector('select[name=building] option', { state: 'attached' });
      expect(await page.inputValue('select[name=building]')).toBe('lty-8');
      await page.goto(`${rig.t.base}/#/nowhere`);
      await page.waitForSelector('[data-not-found]');
      expect(await page.textContent('h1')).toBe('页面不存在');
      const res = await page.goto(`${rig.t.base}/no/such/page`);
      expect(res?.status()).toBe(404);
      expect(res?.headers()['content-type']).toContain('text/html');
      expect(await page.textContent('h1')).toBe('页面不存在');
      const api = await fetch(`${rig.t.base}/api/v1/no-such-thing`, { headers: { accept: 'text/html' } });
      expect(api.status).toBe(404);
      expect(((await api.json()) as { code: string }).code).toBe('GW_ERR_API_NOT_FOUND');
      const icon = await fetch(`${rig.t.base}/favicon.svg`);
      expect(icon.status).toBe(200);
      expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    } finally {
      await ctx.close();
    }
  });
});
