// Who may see what: pure functions over a person and the site tree, shared by the API (REST) and
// the live layer (socket.io rooms), so both answer the same for the same person.
//   admin        everything, manages devices and reads the audit log
//   street       every grid of the street(s) their listed grids belong to (all grids if none listed); may act
//   grid_leader  their own grids only; see and act
//   grid_worker  their own grids only; see and act
import type { Role } from '../core/domain.js';
import type { PersonConfig } from '../config/schema.js';
import type { SiteIndex } from '../config/site.js';

export interface Principal {
  id: string;
  name: string;
  role: Role;
  /** the grids this person may see and act on, resolved from their role */
  grids: string[];
  lang: 'zh' | 'en';
}

export function visibleGrids(person: Pick<PersonConfig, 'role' | 'grids'>, site: SiteIndex): string[] {
  const all = [...site.grids.keys()];
  if (person.role === 'admin') return all;
  if (person.role === 'street') {
    const streets = new Set(person.grids.map((g) => site.grids.get(g)?.street).filter((s): s is string => s !== undefined));
    return streets.size === 0 ? all : all.filter((g) => streets.has(site.grids.get(g)?.street ?? ''));
  }
  return person.grids.filter((g) => site.grids.has(g));
}

export function toPrincipal(person: PersonConfig, site: SiteIndex): Principal {
  return { id: person.id, name: person.name, role: person.role, grids: visibleGrids(person, site), lang: person.lang ?? 'zh' };
}

export function canSeeGrid(p: Principal, grid: string): boolean {
  return p.role === 'admin' || p.grids.includes(grid);
}

/** The grid a scope (device / building / grid) falls in, or undefined when it names nothing known. */
export function gridOfScope(site: SiteIndex, scope: { device?: string; building?: string; grid?: string }): string | undefined {
  if (scope.device !== undefined) return site.devices.get(scope.device)?.grid;
  if (scope.building !== undefined) return site.buildings.get(scope.building)?.grid;
  if (scope.grid !== undefined) return site.grids.has(scope.grid) ? scope.grid : undefined;
  return undefined;
}
