// The API's refusals over the registry's access rules (src/registry/access.ts): 403 naming who,
// what and the grids they may use.
import type { Role } from '../core/domain.js';
import { GridwatchError } from '../core/errors.js';
import { canSeeGrid, type Principal } from '../registry/access.js';

export { canSeeGrid, gridOfScope, toPrincipal, visibleGrids, type Principal } from '../registry/access.js';

export function forbidden(p: Principal, what: string, details: Record<string, unknown> = {}): GridwatchError {
  return new GridwatchError('GW_ERR_API_FORBIDDEN', `${p.role} '${p.id}' may not ${what}`, { details: { person: p.id, role: p.role, ...details } });
}

export function requireGrid(p: Principal, grid: string, what: string): void {
  if (!canSeeGrid(p, grid)) throw forbidden(p, `${what} in grid '${grid}' (allowed grids: ${p.grids.join(', ') || 'none'})`, { grid });
}

export function requireRole(p: Principal, roles: readonly Role[], what: string): void {
  if (!roles.includes(p.role)) throw forbidden(p, `${what} (needs role ${roles.join(' or ')})`);
}
