// Devices: the config's merged with those provisioned over the API (add, rotate a secret,
// decommission), persisted in api.db's `devices` table and merged over the config at start (a
// restart keeps them; the YAML file is not rewritten). The full DeviceConfig is kept per device, so
// a rotation keeps every setting (the valve included). Defaults come from the kind's module.
// A change is stored first, then applied to the site tree (so an event never announces a change that
// a failed write lost). `merge` applies a row stored by another hub (cluster mode).
import { newSecret, hashSecret } from '../core/secret.js';
import { GridwatchError, ValidationError } from '../core/errors.js';
import type { DeviceInfo, KindName } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import type { DeviceConfig } from '../config/schema.js';
import type { SiteIndex } from '../config/site.js';
import { KINDS } from '../kinds/index.js';
import type { RegistryStore, StoredDevice } from './store.js';

/** what merging a row did (the registry announces it as its `device` event) */
export interface DeviceChangeOf { type: 'added' | 'secret' | 'removed'; device: DeviceInfo }

export interface NewDevice { id: string; kind: KindName; building: string; unit?: string; intervalS?: number; valve?: boolean }

export function deviceNotFound(id: string): GridwatchError {
  return new GridwatchError('GW_ERR_API_NOT_FOUND', `no device '${id}'`, { details: { device: id } });
}

export class Devices {
  private readonly configs = new Map<string, DeviceConfig>();

  constructor(private readonly db: RegistryStore, configDevices: readonly DeviceConfig[], stored: readonly StoredDevice[], private readonly site: SiteIndex, private readonly logger: Logger) {
    for (const d of configDevices) this.configs.set(d.id, d);
    for (const s of stored) this.merge(s);
  }

  /** Applies a stored row; returns the change it made to the site tree (undefined: none). */
  merge(s: StoredDevice): DeviceChangeOf | undefined {
    const id = s.device.id;
    const live = this.config(id);
    if (s.decommissionedAt !== null) {
      this.configs.delete(id);
      const gone = this.site.removeDevice(id);
      return live && gone ? { type: 'removed', device: gone } : undefined;
    }
    if (live && JSON.stringify(live) === JSON.stringify(s.device)) return undefined;
    try {
      const info = this.site.addDevice(s.device);
      this.configs.set(id, s.device);
      return { type: live ? 'secret' : 'added', device: info };
    } catch (e) {
      this.logger.warn({ device: id, err: (e as Error).message }, 'stored device not merged: its building is no longer in the config');
      return undefined;
    }
  }

  config(id: string): DeviceConfig | undefined {
    return this.site.devices.has(id) ? this.configs.get(id) : undefined;
  }

  async provision(input: NewDevice, at: number): Promise<{ device: DeviceConfig; info: DeviceInfo; secret: string }> {
    if (this.site.devices.has(input.id)) throw new ValidationError('GW_ERR_API_VALIDATION', 'id', input.id, 'must not be an existing device id');
    if (!this.site.buildings.has(input.building)) throw new ValidationError('GW_ERR_API_VALIDATION', 'building', input.building, `must be a building in the site tree (${[...this.site.buildings.keys()].slice(0, 10).join(', ')})`);
    const secret = newSecret();
    const device: DeviceConfig = { id: input.id, kind: input.kind, building: input.building, intervalS: input.intervalS ?? KINDS[input.kind].defaultIntervalS, secretHash: await hashSecret(secret) };
    if (input.unit !== undefined) device.unit = input.unit;
    if (input.valve !== undefined) device.valve = input.valve;
    const taken = (): ValidationError => new ValidationError('GW_ERR_API_VALIDATION', 'id', input.id, 'must not be an existing device id');
    if (this.site.devices.has(input.id)) throw taken();
    if (!(await this.db.createDevice(device, at))) throw taken(); // another hub registered it first
    const info = this.site.addDevice(device);
    this.configs.set(device.id, device);
    return { device, info, secret };
  }

  async rotateSecret(id: string, at: number): Promise<{ info: DeviceInfo; secret: string }> {
    const old = this.config(id);
    if (!old) throw deviceNotFound(id);
    const secret = newSecret();
    const device: DeviceConfig = { ...old, secretHash: await hashSecret(secret) };
    if (!this.config(id)) throw deviceNotFound(id); // decommissioned while hashing
    await this.db.saveDevice(device, at);
    const info = this.site.addDevice(device);
    this.configs.set(id, device);
    return { info, secret };
  }

  async decommission(id: string, at: number): Promise<DeviceInfo> {
    const old = this.config(id);
    const info = this.site.devices.get(id);
    if (!old || !info) throw deviceNotFound(id);
    await this.db.saveDevice(old, at, true);
    this.configs.delete(id);
    return this.site.removeDevice(id) ?? info; // (or another hub's decommission got here first)
  }
}
