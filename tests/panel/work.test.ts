// The work screens (issue 11, point 6), in Chromium against the REAL hub and its permissions:
// a maintenance silence made and ended early in the panel mutes a real case; an admin adds a
// person (password shown once, it logs in), changes her grids, resets and disables her; registers
// a device (secret shown once, it connects over MQTT), rotates its secret and decommissions it.
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import type { LedgerEntry, AlertCase } from '../../src/core/alert-types.js';
import { until } from '../helpers/hub.js';
import { PHONE } from './browser.js';
import { DESK, signIn, usePanelRig } from './real-hub.js';

const rig = usePanelRig();

const loginStatus = async (user: string, password: string): Promise<number> =>
  (await fetch(`${rig.t.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password }) })).status;

async function mqttConnects(id: string, secret: string): Promise<boolean> {
  try {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${rig.t.hub.mqttPort}`, { clientId: id, username: id, password: secret, reconnectPeriod: 0, connectTimeout: 5000 });
    await c.endAsync(true);
    return true;
  } catch {
    return false;
  }
}

describe('work screens', () => {
  it('desk (grid leader): a silence for 8号楼 mutes a real case; ended early it is gone', async () => {
    const ctx = await rig.browser.newContext(DESK);
    const page = await ctx.newPage();
    try {
      await signIn(page, rig.t.base, 'wangli');
      await page.click('nav a[href="#/work"]');
      await page.selectOption('select[name=scope]', 'building');
      await page.selectOption('select[name=target]', 'lty-8');
      await page.fill('input[name=reason]', '燃气管道检修');
      await page.click('.work-silences button[type=submit]');
      await page.waitForSelector('.work-silences li[data-silence] >> text=燃气管道检修');
      expect(await page.textContent('.work-silences li[data-silence]')).toContain('王丽');
      await rig.t.publish('gas-lty8-0201', { lel: 30, battery: 90 });
      const c = await until(async () => (await rig.t.api<AlertCase[]>('wangli', '/alerts?device=gas-lty8-0201')).body[0], 30_000, 'case');
      const ledger = (await rig.t.api<{ ledger: LedgerEntry[] }>('wangli', `/alerts/${c.id}`)).body.ledger;
      expect(ledger.map((e) => e.action)).toContain('silenced');
      await page.click('[data-action=end-silence]');
      await page.waitForSelector('.work-silences li.muted');
      const left = (await rig.t.api<{ until: number }[]>('wangli', '/silences')).body.filter((s) => s.until > Date.now());
      expect(left).toEqual([]);
      // a leader manages no people
      expect(await page.locator('.work-people').count()).toBe(0);
    } finally {
      await ctx.close();
    }
  });

  it('desk (admin): people added, changed, reset and disabled; a device registered, rotated and decommissioned', async () => {
    const ctx = await rig.browser.newContext(DESK);
    const page = await ctx.newPage();
    page.on('dialog', (d) => void d.accept());
    try {
      await signIn(page, rig.t.base, 'admin');
      await page.goto(`${rig.t.base}/#/work`);
      const people = page.locator('.work-people');
      await people.locator('input[name=id]').fill('zhaomin');
      await people.locator('input[name=name]').fill('赵敏');
      await people.locator('select[name=grids]').first().selectOption(['lty-1']);
      await people.locator('[data-action=add-person]').click();
      const first = await people.locator('[data-secret]').textContent({ timeout: 30_000 });
      expect(await loginStatus('zhaomin', first ?? '')).toBe(200);
      const row = people.locator('tr[data-person=zhaomin]');
      await row.locator('select[name=grids]').selectOption(['lty-2']);
      await row.locator('[data-action=save-person]').click();
      await until(async () => {
        const p = (await rig.t.api<{ id: string; grids: string[] }[]>('admin', '/people')).body.find((x) => x.id === 'zhaomin');
        return p?.grids.join(',') === 'lty-2';
      }, 15_000, 'grids changed');
      await people.locator('tr[data-person=zhaomin] [data-action=reset-password]').click();
      await until(async () => ((await people.locator('[data-secret]').textContent()) !== first ? true : undefined), 15_000, 'new password');
      const second = (await people.locator('[data-secret]').textContent()) ?? '';
      expect(await loginStatus('zhaomin', first ?? '')).toBe(401);
      expect(await loginStatus('zhaomin', second)).toBe(200);
      await people.locator('tr[data-person=zhaomin] [data-action=disable-person]').click();
      await until(async () => ((await loginStatus('zhaomin', second)) === 401 ? true : undefined), 15_000, 'disabled');

      const devices = page.locator('.work-devices');
      await devices.locator('input[name=device-id]').fill('gas-lty5-0101');
      await devices.locator('select[name=building]').selectOption('lty-5');
      await devices.locator('input[name=unit]').fill('1单元101');
      await devices.locator('[data-action=add-device]').click();
      const secret = (await devices.locator('[data-secret]').textContent({ timeout: 30_000 })) ?? '';
      expect(await mqttConnects('gas-lty5-0101', secret)).toBe(true);
      await devices.locator('tr[data-device-row=gas-lty5-0101] [data-action=rotate]').click();
      await until(async () => ((await devices.locator('[data-secret]').textContent()) !== secret ? true : undefined), 15_000, 'rotated');
      const rotated = (await devices.locator('[data-secret]').textContent()) ?? '';
      expect(await mqttConnects('gas-lty5-0101', secret)).toBe(false);
      expect(await mqttConnects('gas-lty5-0101', rotated)).toBe(true);
      await devices.locator('tr[data-device-row=gas-lty5-0101] [data-action=decommission]').click();
      await devices.locator('tr[data-device-row=gas-lty5-0101]').waitFor({ state: 'detached', timeout: 15_000 });
      expect(await mqttConnects('gas-lty5-0101', rotated)).toBe(false);
    } finally {
      await ctx.close();
    }
  });

  it('phone (grid worker): the silence screen fits and the admin screens are not offered', async () => {
    const ctx = await rig.browser.newContext(PHONE);
    const page = await ctx.newPage();
    try {
      await signIn(page, rig.t.base, 'chenjing');
      await page.goto(`${rig.t.base}/#/work`);
      await page.waitForSelector('.work-silences');
      expect(await page.locator('.work-people, .work-devices').count()).toBe(0);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    } finally {
      await ctx.close();
    }
  });
});
