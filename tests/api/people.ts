// People for the API and live tests: real scrypt hashes (cheap parameters), one per role.
import { hashSecretSync } from '../../src/core/secret.js';
import { FAST_SCRYPT } from '../helpers/hub.js';

export const PEOPLE = [
  { id: 'root', name: '管理员', role: 'admin', grids: [] },
  { id: 'zhang', name: '张街道', role: 'street', grids: [] },
  { id: 'li', name: '李网格长', role: 'grid_leader', grids: ['g1'] },
  { id: 'wang', name: '王网格员', role: 'grid_worker', grids: ['g1'], lang: 'en' },
  { id: 'zhao', name: '赵网格员', role: 'grid_worker', grids: ['g2'] },
] as const;

export const password = (id: string): string => `pw-${id}-secret`;

export function peopleConfig(): Record<string, unknown>[] {
  return PEOPLE.map((p) => ({ ...p, grids: [...p.grids], passwordHash: hashSecretSync(password(p.id), FAST_SCRYPT) }));
}
