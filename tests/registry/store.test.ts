// The registry keeps devices, people and rule overrides managed over the API across a restart: a
// fresh SiteRegistry over the same config and api.db (real better-sqlite3 file) sees the same, and
// announces every change to its subscribers.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import { verifySecret } from '../../src/core/secret.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import { parseScopeKey, scopeKey, SiteRegistry, type DeviceChange } from '../../src/registry/index.js';
import { testSite } from '../helpers/hub.js';
import { peopleConfig } from '../api/people.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const gasRule = (raise: number, scope?: RuleSpec['scope']): RuleSpec => ({ id: 'gas-critical', kind: 'gas', severity: 'critical', condition: { type: 'threshold', field: 'lel', op: 'gte', raise, clear: 10 }, ...(scope ? { scope } : {}) });
const config = parseConfig(testSite([{ id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas' }], { people: peopleConfig(), rules: [gasRule(22, { grid: 'g2' })] }).raw, '(test)', { env: {} });
const open = (file: string, clock = new ManualClock(1000), cfg: Config = config): SiteRegistry => new SiteRegistry({ config: cfg, file, clock, logger: silentLogger() });

describe('devices', () => {
  it('added, rotated and decommissioned devices are the same after a restart; a rotation keeps the valve', async () => {
    const file = join(dir, 'devices.db');
    let reg = open(file);
    const seen: DeviceChange[] = [];
    reg.on('device', (c) => seen.push(c));
    const { secret } = await reg.provisionDevice({ id: 'gas-7', kind: 'gas', building: 'b2', unit: '3单元', valve: true });
    const rotated = await reg.rotateSecret('gas-7');
    const rotated1 = await reg.rotateSecret('gas-1');
    await reg.decommission('gas-2');
    expect(seen.map((c) => `${c.type}:${c.device.id}`)).toEqual(['added:gas-7', 'secret:gas-7', 'secret:gas-1', 'removed:gas-2']);
    reg.close();

    reg = open(file);
    expect(reg.devices().map((d) => d.id).sort()).toEqual(['gas-1', 'gas-7']);
    const gas7 = reg.device('gas-7');
    expect(gas7).toMatchObject({ kind: 'gas', building: 'b2', grid: 'g2', unit: '3单元', valve: true });
    expect(await verifySecret(rotated, gas7?.secretHash ?? '')).toBe(true);
    expect(await verifySecret(secret, gas7?.secretHash ?? '')).toBe(false);
    expect(await verifySecret(rotated1, reg.device('gas-1')?.secretHash ?? '')).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    reg.close();
  });

  it('a device without intervalS gets its kind default, the same from the config and the API', async () => {
    const raw = testSite([]).raw;
    raw.devices = [{ id: 'gas-c', kind: 'gas', building: 'b1', secretHash: (config.devices[0] as { secretHash: string }).secretHash }];
    const reg = open(join(dir, 'interval.db'), new ManualClock(1), parseConfig(raw, '(test)', { env: {} }));
    await reg.provisionDevice({ id: 'gas-a', kind: 'gas', building: 'b1' });
    await reg.provisionDevice({ id: 'noise-a', kind: 'noise', building: 'b1' });
    expect(reg.device('gas-c')?.intervalS).toBe(600);
    expect(reg.device('gas-a')?.intervalS).toBe(600);
    expect(reg.device('noise-a')?.intervalS).toBe(60);
    reg.close();
  });

  it('unknown ids are not found', async () => {
    const reg = open(join(dir, 'b.db'));
    await expect(reg.rotateSecret('nope')).rejects.toMatchObject({ code: 'GW_ERR_API_NOT_FOUND' });
    await expect(reg.decommission('nope')).rejects.toThrow(/no device 'nope'/);
    reg.close();
  });
});

// people and rule overrides across a restart: store-contract.test.ts (SQLite and PostgreSQL alike)
describe('rule overrides', () => {
  it('scope keys round-trip and name the field on bad input', () => {
    expect(scopeKey({ building: 'b1', grid: 'g1' })).toBe('grid:g1,building:b1');
    expect(parseScopeKey('grid:g1,building:b1')).toEqual({ grid: 'g1', building: 'b1' });
    expect(parseScopeKey(undefined)).toEqual({});
    expect(() => parseScopeKey('street:x')).toThrow(/querystring.scope/);
  });
});
