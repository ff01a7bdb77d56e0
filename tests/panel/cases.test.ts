// The case a grid worker trusts at 2 a.m. (issue 11, points 2–4), in Chromium against the REAL
// hub: triage order, one incident per device and hazard (gas 12 → 30 % LEL raises the same case),
// waiting time and escalation on the card, the facts on the case (trigger, current value, valve
// closed in words, checklist, names not ids), the alarm repeating until acknowledged with a banner
// on every page and the screen kept awake, and the "still active" guard with its override reason.
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertCase, LedgerEntry } from '../../src/core/alert-types.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { until } from '../helpers/hub.js';
import { ARTIFACTS, PHONE, launchChromium } from './browser.js';
import { signIn, startPanelHub, type PanelHub } from './real-hub.js';

const DESK = { viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };
let influx: TestInflux;
let t: PanelHub;
let browser: Browser;
let phoneCtx: BrowserContext;
let phone: Page;
let caseId = '';

beforeAll(async () => {
  influx = await startTestInflux();
  t = await startPanelHub(influx.url);
  browser = await launchChromium();
  phoneCtx = await browser.newContext(PHONE);
  // the browser's clock is ours to move: waiting times and the alarm repeat without real waiting
  await phoneCtx.clock.install({ time: Date.now() });
  phone = await phoneCtx.newPage();
});

afterAll(async () => {
  await phoneCtx?.close();
  await browser?.close();
  await t?.close();
  await influx?.cleanup();
});

const rings = async (p: Page): Promise<number> => Number((await p.getAttribute('body', 'data-rings')) ?? '0');

describe('cases on the phone of the grid worker of 第一网格 (韩涛)', () => {
  it('triage: the critical leak is on top, one case per incident, raised from warning, with waiting time, escalation and place', async () => {
    await signIn(phone, t.base, 'hantao');
    await t.publish('smoke-lty3-0101', { obscuration: 5, alarm: false, battery: 90 });
    await t.publish('gas-lty3-0302', { lel: 12, battery: 90 });
    await t.publish('gas-lty3-0101', { lel: 12, battery: 90 });
    await phone.waitForSelector('.case >> nth=2');
    expect(await phone.locator('.case[data-severity=critical]').count()).toBe(0);
    // the unit's valve answers every command it gets, as the firmware does
    const dev = await t.device('gas-lty3-0101');
    dev.on('message', (topic, payload) => {
      if (!topic.endsWith('/cmd')) return;
      const cmd = JSON.parse(payload.toString()) as { id: string };
      void dev.publishAsync('gridwatch/v1/gas-lty3-0101/cmd/ack', JSON.stringify({ id: cmd.id, ok: true }), { qos: 1 });
    });
    await dev.subscribeAsync('gridwatch/v1/gas-lty3-0101/cmd', { qos: 1 });
    await t.publish('gas-lty3-0101', { lel: 30, battery: 90 });
    const top = phone.locator('.case').first();
    await phone.waitForSelector('.case[data-severity=critical]', { timeout: 30_000 });
    expect(await top.getAttribute('data-severity')).toBe('critical');
    expect(await top.textContent()).toContain('gas-lty3-0101');
    // one incident: still three cases, the gas warning of 0101 became the critical one
    expect(await phone.locator('.case').count()).toBe(3);
    caseId = (await top.getAttribute('data-case-id')) ?? '';
    const got = await t.api<{ case: AlertCase; ledger: LedgerEntry[] }>('hantao', `/alerts/${caseId}`);
    expect(got.body.ledger.map((e) => e.action)).toEqual(expect.arrayContaining(['opened', 'severity_raised']));
    expect(got.body.case.openedAt).toBeLessThan(got.body.case.raisedAt ?? 0);
    const text = (await top.textContent()) ?? '';
    expect(text).toContain('龙天园社区 · 第一网格 · 3号楼 1单元101');
    expect(text).toContain('30 % LEL');
    expect(text).toContain('升级第1/3步');
    expect(text).toMatch(/\d+分钟后升级至网格长/);
    expect(text).toContain('韩涛');
    // eight and a half minutes later, nobody has acted
    await phone.clock.fastForward('08:30');
    await phone.waitForSelector(`.case[data-case-id="${caseId}"] >> text=已8分钟未确认`, { timeout: 30_000 });
    await phone.screenshot({ path: join(ARTIFACTS, 'cases-triage-phone.png') });
  });

  it('alarm until acknowledged: repeats, a banner on every page, screen kept awake; the tap stops all three', async () => {
    await phone.waitForSelector('[data-conn=ok]', { state: 'attached', timeout: 60_000 });
    const before = await rings(phone);
    expect(before).toBeGreaterThanOrEqual(1);
    await phone.clock.runFor(31_000);
    expect(await rings(phone)).toBeGreaterThan(before);
    expect(await phone.getAttribute('body', 'data-wake')).toMatch(/^(on|wanted)$/);
    await phone.click('nav a[href="#/sensors"]');
    await phone.waitForSelector('.banner-critical[data-critical="1"]', { state: 'visible' });
    await phone.click('.banner-critical a');
    await phone.waitForSelector('.facts');
    await phone.locator(`.case[data-case-id="${caseId}"] [data-action=ack]`).tap();
    await phone.waitForSelector(`.case[data-case-id="${caseId}"][data-state=acknowledged]`);
    await phone.waitForSelector('.banner-critical', { state: 'hidden' });
    expect(await phone.getAttribute('body', 'data-wake')).toBeNull();
    const after = await rings(phone);
    await phone.clock.runFor(61_000);
    expect(await rings(phone)).toBe(after);
  });

  it('the facts: trigger and current value, the valve closed in words, the gas checklist, a timeline with names in Chinese and in English', async () => {
    // the close command went out when the case turned critical; the device confirmed it
    await phone.waitForSelector('[data-valve=closed]', { timeout: 30_000 });
    expect(await phone.textContent('.timeline')).toContain('关阀指令已下发');
    expect(await phone.textContent('.timeline')).toContain('阀门已关闭 ✓');
    expect(await phone.textContent('[data-trigger-detail]')).toContain('30 % LEL');
    await t.publish('gas-lty3-0101', { lel: 18, valve: 'closed', battery: 90 });
    await phone.waitForSelector('[data-current] >> text=18 % LEL', { timeout: 30_000 });
    expect(await phone.locator('[data-checklist=gas] li').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('开窗通风'), expect.stringContaining('119')]));
    const timeline = (await phone.textContent('.timeline')) ?? '';
    expect(timeline).toContain('韩涛');
    expect(timeline).toContain('级别升级：警告 → 紧急');
    for (const raw of ['hantao', 'grid_worker', 'condition cleared', 'system', 'step 1/3']) expect(timeline).not.toContain(raw);
    await phone.screenshot({ path: join(ARTIFACTS, 'case-facts-phone.png'), fullPage: true });
    await phone.click('[data-action=lang]');
    await phone.waitForSelector('.timeline >> text=Severity raised: warning → critical');
    expect(await phone.textContent('.timeline')).toContain('valve closed ✓');
    expect(await phone.textContent('.timeline')).not.toMatch(/[已阀升]/);
    await phone.click('[data-action=lang]');
    // nothing sticks out sideways on a 375 px phone
    for (const route of ['#/alerts', '#/sensors', '#/uptime']) {
      await phone.goto(`${t.base}/${route}`);
      await phone.waitForSelector('main');
      expect(await phone.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    }
  });
});

describe('the close guard on a desk (1440×900)', () => {
  it('resolving and closing a leak that still reads above the clear level needs an override reason, kept in the ledger', async () => {
    const ctx = await browser.newContext(DESK);
    const desk = await ctx.newPage();
    try {
      await signIn(desk, t.base, 'wangli');
      const card = desk.locator(`.case[data-case-id="${caseId}"]`);
      await card.waitFor();
      expect(await card.getAttribute('data-active')).toBe('yes');
      await card.locator('[data-action=resolve]').click();
      await desk.waitForSelector('.still-active');
      await card.locator('[data-action=resolve-confirm]').click();
      await desk.waitForSelector('.msg >> text=请填写理由');
      expect((await t.api<{ case: AlertCase }>('wangli', `/alerts/${caseId}`)).body.case.state).toBe('acknowledged');
      await card.locator('textarea[name=override]').fill('阀门已关闭，住户已撤离，等待燃气公司检测');
      await card.locator('[data-action=resolve-confirm]').click();
      await desk.waitForSelector(`.case[data-case-id="${caseId}"][data-state=resolved]`);
      await card.locator('[data-action=close]').click();
      await card.locator('textarea[name=note]').fill('燃气公司检测：灶具接口松动，已更换');
      await desk.screenshot({ path: join(ARTIFACTS, 'case-guard-desk.png') });
      await card.locator('[data-action=close-confirm]').click();
      await desk.waitForSelector('.msg >> text=请填写理由');
      await card.locator('textarea[name=override]').fill('传感器残留读数，现场复测为0');
      await card.locator('[data-action=close-confirm]').click();
      const closed = await until(async () => {
        const r = await t.api<{ case: AlertCase; ledger: LedgerEntry[] }>('wangli', `/alerts/${caseId}`);
        return r.body.case.state === 'closed' ? r.body : undefined;
      }, 15_000, 'closed case');
      const reasons = closed.ledger.flatMap((e) => ((e.data?.override as { reason?: string } | undefined)?.reason ? [`${e.action}:${e.actor}`] : []));
      expect(reasons).toEqual(['resolved:wangli', 'closed:wangli']);
      expect(closed.case.closeNote).toBe('燃气公司检测：灶具接口松动，已更换');
    } finally {
      await ctx.close();
    }
  });
});
