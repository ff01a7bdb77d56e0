// Checks the schema cannot express: unique ids, references that must resolve, a real time zone.
import type { Config } from './schema.js';

export function crossCheck(config: Config): string[] {
  const problems: string[] = [];
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: config.timezone });
  } catch {
    problems.push(`at /timezone: value "${config.timezone}" is not an IANA time zone; use e.g. Asia/Shanghai`);
  }
  const seen = (what: string, ids: string[], base: string): Set<string> => {
    const set = new Set<string>();
    ids.forEach((id, i) => {
      if (set.has(id)) problems.push(`at ${base}/${i}/id: ${what} id "${id}" is used twice; ids must be unique`);
      set.add(id);
    });
    return set;
  };
  const buildings: string[] = [];
  const grids: string[] = [];
  const communities: string[] = [];
  for (const s of config.streets) {
    for (const c of s.communities) {
      communities.push(c.id);
      for (const g of c.grids) {
        grids.push(g.id);
        for (const b of g.buildings) buildings.push(b.id);
      }
    }
  }
  seen('street', config.streets.map((s) => s.id), '/streets');
  const buildingSet = new Set(buildings);
  const gridSet = new Set(grids);
  if (buildingSet.size !== buildings.length) problems.push('at /streets: a building id is used twice in the site tree; building ids must be unique across the file');
  if (gridSet.size !== grids.length) problems.push('at /streets: a grid id is used twice in the site tree; grid ids must be unique across the file');
  if (new Set(communities).size !== communities.length) problems.push('at /streets: a community id is used twice; community ids must be unique');
  seen('device', config.devices.map((d) => d.id), '/devices');
  config.devices.forEach((d, i) => {
    if (!buildingSet.has(d.building)) problems.push(`at /devices/${i}/building: value "${d.building}" names no building in /streets; add the building or fix the id`);
  });
  const people = seen('person', config.people.map((p) => p.id), '/people');
  config.people.forEach((p, i) => {
    p.grids.forEach((g, j) => {
      if (!gridSet.has(g)) problems.push(`at /people/${i}/grids/${j}: value "${g}" names no grid in /streets`);
    });
    if ((p.role === 'grid_worker' || p.role === 'grid_leader') && p.grids.length === 0) {
      problems.push(`at /people/${i}/grids: a ${p.role} needs at least one grid`);
    }
  });
  config.rosters.forEach((r, i) => {
    if (!gridSet.has(r.grid)) problems.push(`at /rosters/${i}/grid: value "${r.grid}" names no grid in /streets`);
    r.shifts.forEach((s, j) => {
      if (!people.has(s.person)) problems.push(`at /rosters/${i}/shifts/${j}/person: value "${s.person}" names no person in /people`);
    });
  });
  config.streetDuty.forEach((p, i) => {
    if (!people.has(p)) problems.push(`at /streetDuty/${i}: value "${p}" names no person in /people`);
  });
  seen('rule', config.rules.map((r) => `${r.id}@${JSON.stringify(r.scope ?? {})}`), '/rules');
  return problems;
}
