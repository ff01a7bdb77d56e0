// Silences / maintenance windows: a case whose device, building or grid is silenced at the time is
// recorded but not notified.
import type { Silence } from '../core/alert-types.js';
import type { Placement } from '../core/domain.js';

export function silenceMatches(s: Silence, place: Placement & { device: string }, now: number): boolean {
  if (now < s.from || now >= s.until) return false;
  const { device, building, grid } = s.scope;
  if (device === undefined && building === undefined && grid === undefined) return false;
  if (device !== undefined && device !== place.device) return false;
  if (building !== undefined && building !== place.building) return false;
  if (grid !== undefined && grid !== place.grid) return false;
  return true;
}

export function findSilence(silences: Iterable<Silence>, place: Placement & { device: string }, now: number): Silence | undefined {
  for (const s of silences) if (silenceMatches(s, place, now)) return s;
  return undefined;
}
