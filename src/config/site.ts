// The resolved site tree: every device with its street, community, grid, building and zone.
// Devices change only through the registry stage (src/registry), which announces each change;
// everyone else reads `devices` (read-only).
import type { DeviceInfo, NoiseZone, Placement } from '../core/domain.js';
import type { Config } from './schema.js';

export interface BuildingInfo { id: string; name: string; grid: string; community: string; street: string }
export interface GridInfo { id: string; name: string; community: string; street: string; noiseZone: NoiseZone; buildings: string[] }
export interface CommunityInfo { id: string; name: string; street: string; grids: string[] }
export interface StreetInfo { id: string; name: string; communities: string[] }

export class SiteIndex {
  private readonly deviceMap = new Map<string, DeviceInfo>();
  readonly devices: ReadonlyMap<string, DeviceInfo> = this.deviceMap;
  readonly buildings = new Map<string, BuildingInfo>();
  readonly grids = new Map<string, GridInfo>();
  readonly communities = new Map<string, CommunityInfo>();
  readonly streets = new Map<string, StreetInfo>();

  constructor(config: Config) {
    for (const s of config.streets) {
      this.streets.set(s.id, { id: s.id, name: s.name, communities: s.communities.map((c) => c.id) });
      for (const c of s.communities) {
        this.communities.set(c.id, { id: c.id, name: c.name, street: s.id, grids: c.grids.map((g) => g.id) });
        for (const g of c.grids) {
          this.grids.set(g.id, { id: g.id, name: g.name, community: c.id, street: s.id, noiseZone: (g.noiseZone ?? '1') as NoiseZone, buildings: g.buildings.map((b) => b.id) });
          for (const b of g.buildings) this.buildings.set(b.id, { id: b.id, name: b.name, grid: g.id, community: c.id, street: s.id });
        }
      }
    }
    for (const d of config.devices) this.addDevice(d);
  }

  addDevice(d: Config['devices'][number]): DeviceInfo {
    const b = this.buildings.get(d.building);
    if (!b) throw new Error(`device ${d.id}: unknown building ${d.building}`);
    const grid = this.grids.get(b.grid) as GridInfo;
    const info: DeviceInfo = {
      id: d.id, kind: d.kind, unit: d.unit, intervalS: d.intervalS, secretHash: d.secretHash,
      street: b.street, community: b.community, grid: b.grid, building: b.id, noiseZone: grid.noiseZone,
      ...(d.valve === true ? { valve: true } : {}),
    };
    this.deviceMap.set(d.id, info);
    return info;
  }

  /** The registry's decommission; returns the removed device. */
  removeDevice(id: string): DeviceInfo | undefined {
    const d = this.deviceMap.get(id);
    this.deviceMap.delete(id);
    return d;
  }

  placement(deviceId: string): Placement | undefined {
    const d = this.devices.get(deviceId);
    return d ? { street: d.street, community: d.community, grid: d.grid, building: d.building } : undefined;
  }

  devicesInGrid(grid: string): DeviceInfo[] {
    return [...this.devices.values()].filter((d) => d.grid === grid);
  }
}
