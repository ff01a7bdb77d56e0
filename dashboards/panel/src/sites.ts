// The site tree the user may see (GET /sites), loaded once per session, with name look-ups.
import { get } from './api.js';
import type { SiteGrid, SiteStreet } from './types.js';

let tree: Promise<SiteStreet[]> | undefined;

export function loadSites(): Promise<SiteStreet[]> {
  tree ??= get<SiteStreet[]>('/sites').catch((err: unknown) => {
    tree = undefined;
    throw err;
  });
  return tree;
}

export function forgetSites(): void {
  tree = undefined;
}

export interface BuildingRef { id: string; name: string; grid: SiteGrid; community: string; street: string }

export function buildingsOf(streets: readonly SiteStreet[]): BuildingRef[] {
  return streets.flatMap((s) => s.communities.flatMap((c) => c.grids.flatMap((g) => g.buildings.map((b) => ({ id: b.id, name: b.name, grid: g, community: c.name, street: s.name })))));
}

export function gridsOf(streets: readonly SiteStreet[]): SiteGrid[] {
  return streets.flatMap((s) => s.communities.flatMap((c) => c.grids));
}
