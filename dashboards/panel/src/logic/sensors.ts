// Pure sensor-list logic: filters, sort orders, "x分钟前", grouping by community and grid.
import type { DeviceView } from '../types.js';

export type SensorFilter = 'all' | 'alarm' | 'offline' | 'low_battery';
export type SensorSort = 'status' | 'place' | 'seen';

const STATUS_RANK: Record<string, number> = { alarm: 0, offline: 1, low_battery: 2, unknown: 3, ok: 4 };

export function matchesFilter(d: DeviceView, f: SensorFilter): boolean {
  if (f === 'all') return true;
  if (f === 'low_battery') return d.status === 'low_battery' || (d.battery !== null && d.battery < 20);
  return d.status === f;
}

export function sortDevices(list: readonly DeviceView[], by: SensorSort): DeviceView[] {
  const place = (d: DeviceView): string => `${d.building} ${d.unit ?? ''} ${d.id}`;
  return [...list].sort((a, b) => {
    if (by === 'status') return (STATUS_RANK[a.status] ?? 9) - (STATUS_RANK[b.status] ?? 9) || place(a).localeCompare(place(b));
    if (by === 'seen') return (a.lastSeen ?? 0) - (b.lastSeen ?? 0) || place(a).localeCompare(place(b));
    return place(a).localeCompare(place(b));
  });
}

/** how long ago, in the largest whole unit: 0 = just now */
export function ago(ts: number, now: number): { unit: 'now' | 'm' | 'h' | 'd'; n: number } {
  const m = Math.max(0, Math.floor((now - ts) / 60_000));
  if (m < 1) return { unit: 'now', n: 0 };
  if (m < 60) return { unit: 'm', n: m };
  if (m < 48 * 60) return { unit: 'h', n: Math.floor(m / 60) };
  return { unit: 'd', n: Math.floor(m / 1440) };
}

/** devices grouped by community → grid, keeping the given device order inside each group */
export function groupByGrid(list: readonly DeviceView[]): { community: string; grid: string; devices: DeviceView[] }[] {
  const out = new Map<string, { community: string; grid: string; devices: DeviceView[] }>();
  for (const d of list) {
    const key = `${d.community}/${d.grid}`;
    const g = out.get(key) ?? { community: d.community, grid: d.grid, devices: [] };
    g.devices.push(d);
    out.set(key, g);
  }
  return [...out.values()].sort((a, b) => a.community.localeCompare(b.community) || a.grid.localeCompare(b.grid));
}
