// Never falsely calm (issue 11, point 1), in Chromium against the REAL hub: a page load while the
// hub cannot be reached says it cannot tell, loudly, and never "暂无告警"; after a hub restart
// (which disconnects sockets server-side) the panel reconnects by itself and a case opened after
// the restart appears without a reload, on a phone and on a desk.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS, PHONE } from './browser.js';
import { DESK, signIn, usePanelRig } from './real-hub.js';

const rig = usePanelRig();

describe('the panel never looks calm when it cannot know', () => {
  it('phone: a page load while the hub cannot be reached shows a loud banner and "cannot tell", never "暂无告警"; it recovers by itself', async () => {
    const ctx = await rig.browser.newContext(PHONE);
    const page = await ctx.newPage();
    try {
      await signIn(page, rig.t.base, 'chenjing');
      await page.waitForSelector('[data-empty=known]');
      // the phone's network drops for the API and the live link (the page itself is cached)
      let offline = true;
      await page.route('**/api/v1/**', (r) => (offline ? r.abort('internetdisconnected') : r.fallback()));
      await page.route('**/socket.io/**', (r) => (offline ? r.abort('internetdisconnected') : r.fallback()));
      await page.routeWebSocket('**/socket.io/**', (ws) => (offline ? ws.close() : ws.connectToServer()));
      await page.reload();
      await page.waitForSelector('[data-conn=down]', { state: 'visible' });
      await page.waitForSelector('[data-empty=unknown]', { state: 'visible' });
      expect(await page.locator('.cases').textContent()).not.toContain('暂无告警');
      expect(await page.locator('[data-conn=down]').getAttribute('role')).toBe('alert');
      await page.screenshot({ path: join(ARTIFACTS, 'live-unknown-phone.png') });
      offline = false;
      // back by itself: no reload, no tap
      await page.waitForSelector('[data-conn=ok]', { state: 'attached', timeout: 30_000 });
      await page.waitForSelector('[data-empty=known]', { timeout: 30_000 });
    } finally {
      await ctx.close();
    }
  });

  it('hub restart: phone and desk show the outage, reconnect by themselves and show a case opened after the restart without a reload', async () => {
    const phoneCtx = await rig.browser.newContext(PHONE);
    const deskCtx = await rig.browser.newContext(DESK);
    const phone = await phoneCtx.newPage();
    const desk = await deskCtx.newPage();
    try {
      await signIn(phone, rig.t.base, 'chenjing');
      await signIn(desk, rig.t.base, 'street');
      const mark = async (p: Page): Promise<void> => { await p.evaluate(() => { (globalThis as unknown as { gwMark: number }).gwMark = 1; }); };
      await mark(phone);
      await mark(desk);
      await rig.t.stop();
      for (const p of [phone, desk]) {
        await p.waitForSelector('[data-conn=down]', { state: 'visible', timeout: 30_000 });
        await p.waitForSelector('[data-live=off]');
      }
      await phone.screenshot({ path: join(ARTIFACTS, 'live-hub-down-phone.png') });
      await rig.t.start();
      for (const p of [phone, desk]) await p.waitForSelector('[data-conn=ok]', { state: 'attached', timeout: 60_000 });
      await rig.t.publish('gas-lty8-0201', { lel: 30, battery: 88 });
      for (const p of [phone, desk]) {
        const card = p.locator('.case[data-severity=critical]', { hasText: '8号楼' });
        await card.waitFor({ timeout: 30_000 });
        expect(await card.textContent()).toContain('龙天园社区');
        // the same page, not a reload
        expect(await p.evaluate(() => (globalThis as unknown as { gwMark?: number }).gwMark)).toBe(1);
        expect(await p.locator('[data-conn=down]').count()).toBe(0);
      }
      await desk.screenshot({ path: join(ARTIFACTS, 'live-after-restart-desk.png') });
    } finally {
      await phoneCtx.close();
      await deskCtx.close();
    }
  });
});
