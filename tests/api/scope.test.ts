import { describe, expect, it } from 'vitest';
import { parseConfig, SiteIndex } from '../../src/config/index.js';
import { canSeeGrid, gridOfScope, requireGrid, requireRole, toPrincipal, visibleGrids } from '../../src/api/scope.js';
import { testSite } from '../helpers/hub.js';

const raw = testSite([{ id: 'gas-1', kind: 'gas' }]).raw;
raw.streets = [...(raw.streets as object[]), { id: 'other', name: '别的街道', communities: [{ id: 'oc', name: '别的社区', grids: [{ id: 'g9', name: '九', buildings: [{ id: 'b9', name: '9号楼' }] }] }] }];
const site = new SiteIndex(parseConfig(raw, '(test)', { env: {} }));

describe('visibleGrids', () => {
  it('admin sees every grid', () => expect(visibleGrids({ role: 'admin', grids: [] }, site)).toEqual(['g1', 'g2', 'g9']));
  it('a street person sees the whole street of their listed grids', () => expect(visibleGrids({ role: 'street', grids: ['g2'] }, site)).toEqual(['g1', 'g2']));
  it('a street person with no grids listed sees all', () => expect(visibleGrids({ role: 'street', grids: [] }, site)).toEqual(['g1', 'g2', 'g9']));
  it('grid roles see only their own, known grids', () => {
    expect(visibleGrids({ role: 'grid_worker', grids: ['g2', 'gone'] }, site)).toEqual(['g2']);
    expect(visibleGrids({ role: 'grid_leader', grids: ['g1', 'g9'] }, site)).toEqual(['g1', 'g9']);
  });
});

describe('checks', () => {
  const w = toPrincipal({ id: 'w', name: 'W', role: 'grid_worker', grids: ['g1'] }, site);
  it('defaults lang to zh', () => expect(w.lang).toBe('zh'));
  it('requireGrid throws 403-coded errors naming the grid and the allowed ones', () => {
    expect(canSeeGrid(w, 'g1')).toBe(true);
    expect(() => requireGrid(w, 'g2', 'see devices')).toThrow(/grid_worker 'w' may not see devices in grid 'g2' \(allowed grids: g1\)/);
    try { requireGrid(w, 'g2', 'x'); } catch (e) { expect((e as { code: string }).code).toBe('GW_ERR_API_FORBIDDEN'); }
  });
  it('requireRole names the roles needed', () => expect(() => requireRole(w, ['admin'], 'read the audit log')).toThrow(/needs role admin/));
  it('gridOfScope resolves device, building and grid; unknown is undefined', () => {
    expect(gridOfScope(site, { device: 'gas-1' })).toBe('g1');
    expect(gridOfScope(site, { building: 'b2' })).toBe('g2');
    expect(gridOfScope(site, { grid: 'g9' })).toBe('g9');
    expect(gridOfScope(site, { grid: 'nope' })).toBeUndefined();
    expect(gridOfScope(site, {})).toBeUndefined();
  });
});
