// Devices provisioned over the API survive a restart: a fresh SiteIndex from the same config plus
// the api.db they were saved in (real better-sqlite3 file).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { verifySecret } from '../../src/core/secret.js';
import { parseConfig, SiteIndex } from '../../src/config/index.js';
import { ApiDb } from '../../src/api/db.js';
import { decommission, mergeStoredDevices, provisionDevice, rotateSecret } from '../../src/api/provisioning.js';
import { testSite } from '../helpers/hub.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-api-prov-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = parseConfig(testSite([{ id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas' }]).raw, '(test)', { env: {} });

describe('provisioning persistence', () => {
  it('added, rotated and decommissioned devices are the same after a restart', async () => {
    const file = join(dir, 'api.db');
    let db = new ApiDb(file);
    let site = new SiteIndex(config);
    const { secret } = await provisionDevice(db, site, { id: 'smoke-7', kind: 'smoke', building: 'b2', unit: '3单元' }, 1000);
    const rotated = await rotateSecret(db, site, 'gas-1', 2000);
    decommission(db, site, 'gas-2', 3000);
    db.close();

    db = new ApiDb(file);
    site = new SiteIndex(config);
    mergeStoredDevices(db, site, silentLogger());
    expect([...site.devices.keys()].sort()).toEqual(['gas-1', 'smoke-7']);
    const smoke = site.devices.get('smoke-7')!;
    expect(smoke).toMatchObject({ kind: 'smoke', building: 'b2', grid: 'g2', unit: '3单元', intervalS: 3600 });
    expect(await verifySecret(secret, smoke.secretHash)).toBe(true);
    expect(await verifySecret(rotated, site.devices.get('gas-1')!.secretHash)).toBe(true);
    expect(await verifySecret('pw-gas-1', site.devices.get('gas-1')!.secretHash)).toBe(false);
    expect(db.listDevices().find((d) => d.device.id === 'gas-2')?.decommissionedAt).toBe(3000);
    db.close();
  });

  it('unknown ids are not found', async () => {
    const db = new ApiDb(join(dir, 'b.db'));
    const site = new SiteIndex(config);
    await expect(rotateSecret(db, site, 'nope', 1)).rejects.toMatchObject({ code: 'GW_ERR_API_NOT_FOUND' });
    expect(() => decommission(db, site, 'nope', 1)).toThrow(/no device 'nope'/);
    db.close();
  });
});
