// The registry's store contract, run against both stores: SQLite api.db (single mode) and a real
// PostgreSQL (cluster mode). What one registry stores, a registry opened later over the same store
// (a restarted hub) sees exactly; a re-save replaces the row; decommissioned / disabled / deleted
// rows are kept as tombstones; every change is announced.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import { verifySecret } from '../../src/core/secret.js';
import { parseConfig, type DeviceConfig, type PersonConfig } from '../../src/config/index.js';
import { SiteRegistry, type DeviceChange, type PersonChange, type RegistryStore } from '../../src/registry/index.js';
import { testSite } from '../helpers/hub.js';
import { peopleConfig } from '../api/people.js';
import { postgresBackend, sqliteBackend, stopPostgres, type Backend } from './backends.js';

const gasRule = (raise: number, scope?: RuleSpec['scope']): RuleSpec => ({ id: 'gas-critical', kind: 'gas', severity: 'critical', condition: { type: 'threshold', field: 'lel', op: 'gte', raise, clear: 10 }, ...(scope ? { scope } : {}) });
const config = parseConfig(testSite([{ id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas' }], { people: peopleConfig(), rules: [gasRule(22, { grid: 'g2' })] }).raw, '(test)', { env: {} });
const device = (id: string, unit = '3单元502'): DeviceConfig => ({ id, kind: 'gas', building: 'b2', unit, intervalS: 600, secretHash: `scrypt$hash-of-${id}`, valve: true });
const person = (id: string, role: PersonConfig['role'] = 'grid_worker'): PersonConfig => ({ id, name: '孙小梅', role, grids: ['g2'], passwordHash: `scrypt$hash-of-${id}`, lang: 'zh' });

afterAll(stopPostgres, 60_000);

for (const make of [sqliteBackend, postgresBackend]) {
  describe(`registry store contract: ${make().name}`, () => {
    let backend: Backend;
    const open: RegistryStore[] = [];
    const fresh = async (): Promise<RegistryStore> => {
      const s = await backend.registryStore();
      open.push(s);
      return s;
    };
    const registry = async (clock = new ManualClock(1000)): Promise<SiteRegistry> => SiteRegistry.open({ config, store: await fresh(), clock, logger: silentLogger() });
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      await backend.cleanup();
    });

    it('an empty store loads nothing', async () => {
      backend = make();
      expect(await (await fresh()).load()).toEqual({ devices: [], people: [], rules: [] });
    }, 60_000);

    it('rows come back exactly (Chinese text, every field), ordered by key; a re-save replaces; tombstones are kept', async () => {
      backend = make();
      const a = await fresh();
      await a.saveDevice(device('gas-9'), 10);
      await a.saveDevice(device('gas-3'), 11);
      await a.saveDevice(device('gas-9', '4单元'), 12);
      await a.saveDevice(device('gas-3'), 13, true);
      await a.savePerson(person('sun'), 20);
      await a.savePerson(person('li'), 21, true);
      await a.saveRule('gas-critical@grid:g2', gasRule(22, { grid: 'g2' }), 30, true);
      await a.saveRule('gas-critical@', gasRule(18), 31);
      const b = await fresh(); // a restarted hub
      expect(await b.load()).toEqual({
        devices: [
          { device: device('gas-3'), decommissionedAt: 13, updatedAt: 13 },
          { device: device('gas-9', '4单元'), decommissionedAt: null, updatedAt: 12 },
        ],
        people: [
          { person: person('li'), disabledAt: 21, updatedAt: 21 },
          { person: person('sun'), disabledAt: null, updatedAt: 20 },
        ],
        rules: [
          { key: 'gas-critical@', rule: gasRule(18), deletedAt: null, updatedAt: 31 },
          { key: 'gas-critical@grid:g2', rule: gasRule(22, { grid: 'g2' }), deletedAt: 30, updatedAt: 30 },
        ],
      });
    }, 60_000);

    it('a create stores nothing over a live row (false), and succeeds over a tombstone', async () => {
      backend = make();
      const a = await fresh();
      const b = await fresh();
      expect(await a.createDevice(device('gas-5'), 10)).toBe(true);
      expect(await b.createDevice(device('gas-5', '9单元'), 11)).toBe(false);
      await a.saveDevice(device('gas-5'), 12, true);
      expect(await b.createDevice(device('gas-5', '9单元'), 13)).toBe(true);
      expect(await a.createPerson(person('sun'), 20)).toBe(true);
      expect(await b.createPerson(person('sun', 'street'), 21)).toBe(false);
      await b.savePerson(person('sun'), 22, true);
      expect(await a.createPerson(person('sun', 'street'), 23)).toBe(true);
      const loaded = await (await fresh()).load();
      expect(loaded.devices).toEqual([{ device: device('gas-5', '9单元'), decommissionedAt: null, updatedAt: 13 }]);
      expect(loaded.people).toEqual([{ person: person('sun', 'street'), disabledAt: null, updatedAt: 23 }]);
    }, 60_000);

    it('devices added, rotated and decommissioned over a registry are the same after a restart; each change announced', async () => {
      backend = make();
      let reg = await registry();
      const seen: DeviceChange[] = [];
      reg.on('device', (c) => seen.push(c));
      const { secret } = await reg.provisionDevice({ id: 'gas-7', kind: 'gas', building: 'b2', unit: '3单元', valve: true });
      const rotated = await reg.rotateSecret('gas-7');
      await reg.decommission('gas-2');
      await expect(reg.decommission('gas-2')).rejects.toMatchObject({ code: 'GW_ERR_API_NOT_FOUND' });
      expect(seen.map((c) => `${c.type}:${c.device.id}`)).toEqual(['added:gas-7', 'secret:gas-7', 'removed:gas-2']);

      reg = await registry();
      expect(reg.devices().map((d) => d.id).sort()).toEqual(['gas-1', 'gas-7']);
      expect(reg.device('gas-7')).toMatchObject({ grid: 'g2', unit: '3单元', valve: true });
      expect(await verifySecret(rotated, reg.device('gas-7')?.secretHash ?? '')).toBe(true);
      expect(await verifySecret(secret, reg.device('gas-7')?.secretHash ?? '')).toBe(false);
    }, 60_000);

    it('people added, changed, reset and disabled are the same after a restart; tokens go on role change, reset and disable', async () => {
      backend = make();
      let reg = await registry();
      const seen: PersonChange[] = [];
      reg.on('person', (c) => seen.push(c));
      const { password } = await reg.addPerson({ id: 'sun', name: '孙', role: 'grid_worker', grids: ['g2'] });
      await reg.updatePerson('wang', { grids: ['g1', 'g2'] });
      await reg.updatePerson('li', { role: 'grid_worker' });
      await reg.resetPassword('zhang');
      await reg.disablePerson('zhao');
      expect(seen.map((c) => `${c.id}:${String(c.revoke)}:${c.after ? 'on' : 'off'}`)).toEqual(['sun:false:on', 'wang:false:on', 'li:true:on', 'zhang:true:on', 'zhao:true:off']);

      reg = await registry();
      expect(reg.people().map((p) => p.id)).toEqual(['root', 'zhang', 'li', 'wang', 'sun']);
      expect(reg.person('wang')?.grids).toEqual(['g1', 'g2']);
      expect(reg.person('zhao')).toBeUndefined();
      expect(await verifySecret(password, reg.person('sun')?.passwordHash ?? '')).toBe(true);
      // a disabled person may be added again under the same id
      await reg.addPerson({ id: 'zhao', name: '赵', role: 'street', grids: [] });
      expect(reg.person('zhao')?.role).toBe('street');
    }, 60_000);

    it('rule overrides put and deleted (a config rule too) are the same after a restart', async () => {
      backend = make();
      let reg = await registry();
      const pushed: RuleSpec[][] = [];
      reg.on('rules', (l) => pushed.push([...l]));
      await reg.putRule(gasRule(20, { device: 'gas-1' }));
      await reg.putRule(gasRule(18));
      await reg.removeRule('gas-critical', { grid: 'g2' });
      expect(pushed).toHaveLength(3);

      reg = await registry();
      expect(reg.ruleOverrides().map((o) => [o.scopeKey, o.source])).toEqual([['', 'api'], ['device:gas-1', 'api']]);
    }, 60_000);
  });
}
