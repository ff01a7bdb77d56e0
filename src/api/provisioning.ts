// Device provisioning over the API: add, rotate a secret, decommission. The registry in memory
// (SiteIndex) changes at once and the change is persisted in api.db's `devices` table, which is
// merged over the config's devices at start (a restart keeps them; the YAML file is not rewritten).
import { newSecret, hashSecret } from '../core/secret.js';
import { GridwatchError, ValidationError } from '../core/errors.js';
import type { KindName } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import type { DeviceConfig } from '../config/schema.js';
import type { SiteIndex } from '../config/site.js';
import type { ApiDb } from './db.js';

export interface NewDevice { id: string; kind: KindName; building: string; unit?: string; intervalS?: number; valve?: boolean }

export function mergeStoredDevices(db: ApiDb, site: SiteIndex, logger: Logger): void {
  for (const s of db.listDevices()) {
    if (s.decommissionedAt !== null) { site.devices.delete(s.device.id); continue; }
    try {
      site.addDevice(s.device);
    } catch (e) {
      logger.warn({ device: s.device.id, err: (e as Error).message }, 'stored device not merged: its building is no longer in the config');
    }
  }
}

function toConfig(id: string, site: SiteIndex, secretHash: string): DeviceConfig {
  const d = site.devices.get(id);
  if (!d) throw notFound(id);
  const cfg: DeviceConfig = { id: d.id, kind: d.kind, building: d.building, intervalS: d.intervalS, secretHash };
  if (d.unit !== undefined) cfg.unit = d.unit;
  return cfg;
}

export function notFound(id: string): GridwatchError {
  return new GridwatchError('GW_ERR_API_NOT_FOUND', `no device '${id}'`, { details: { device: id } });
}

export async function provisionDevice(db: ApiDb, site: SiteIndex, input: NewDevice, at: number): Promise<{ device: DeviceConfig; secret: string }> {
  if (site.devices.has(input.id)) throw new ValidationError('GW_ERR_API_VALIDATION', 'id', input.id, 'must not be an existing device id');
  if (!site.buildings.has(input.building)) throw new ValidationError('GW_ERR_API_VALIDATION', 'building', input.building, `must be a building in the site tree (${[...site.buildings.keys()].slice(0, 10).join(', ')})`);
  const secret = newSecret();
  const device: DeviceConfig = { id: input.id, kind: input.kind, building: input.building, intervalS: input.intervalS ?? 3600, secretHash: await hashSecret(secret) };
  if (input.unit !== undefined) device.unit = input.unit;
  if (input.valve !== undefined) device.valve = input.valve;
  site.addDevice(device);
  db.saveDevice(device, at);
  return { device, secret };
}

export async function rotateSecret(db: ApiDb, site: SiteIndex, id: string, at: number): Promise<string> {
  if (!site.devices.has(id)) throw notFound(id);
  const secret = newSecret();
  const device = toConfig(id, site, await hashSecret(secret));
  site.addDevice(device);
  db.saveDevice(device, at);
  return secret;
}

export function decommission(db: ApiDb, site: SiteIndex, id: string, at: number): void {
  const d = site.devices.get(id);
  if (!d) throw notFound(id);
  db.saveDevice(toConfig(id, site, d.secretHash), at, true);
  site.devices.delete(id);
}
