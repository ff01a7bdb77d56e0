// People: the config's merged with those managed over the API (add with a fresh password shown
// once and stored only as a scrypt hash, change, reset a password, disable). Changes are persisted
// in api.db's `people` table, merged over the config at start (the YAML file is not rewritten).
// Used through the Registry, which announces every change.
import type { Role } from '../core/domain.js';
import { GridwatchError, ValidationError } from '../core/errors.js';
import { hashSecret, newSecret } from '../core/secret.js';
import type { PersonConfig } from '../config/schema.js';
import type { SiteIndex } from '../config/site.js';
import type { RegistryDb } from './db.js';

export interface NewPerson { id: string; name: string; role: Role; grids: string[]; phone?: string; lang?: 'zh' | 'en' }
export type PersonPatch = Partial<Omit<NewPerson, 'id'>>;

/** A person as the API shows them: never the password hash. */
export type PersonView = Omit<PersonConfig, 'passwordHash'>;

export function personView(p: PersonConfig): PersonView {
  const { passwordHash: _omit, ...shown } = p;
  return shown;
}

export function personNotFound(id: string): GridwatchError {
  return new GridwatchError('GW_ERR_API_NOT_FOUND', `no person '${id}'`, { details: { person: id } });
}

/** The config's cross-checks for a person: grids exist; a grid worker or leader has at least one. */
export function checkPerson(p: Pick<PersonConfig, 'role' | 'grids'>, site: SiteIndex): void {
  p.grids.forEach((g, i) => {
    if (!site.grids.has(g)) throw new ValidationError('GW_ERR_API_VALIDATION', `body.grids.${i}`, g, `must name a grid in the site tree (${[...site.grids.keys()].slice(0, 10).join(', ')})`);
  });
  if ((p.role === 'grid_worker' || p.role === 'grid_leader') && p.grids.length === 0) {
    throw new ValidationError('GW_ERR_API_VALIDATION', 'body.grids', p.grids, `a ${p.role} needs at least one grid`);
  }
}

export class People {
  /** the API's changes: a person, or null for disabled */
  private readonly changed = new Map<string, PersonConfig | null>();

  /** `config` is read on every call, so a change to the config's people applies at once too. */
  constructor(private readonly db: RegistryDb, private readonly config: () => readonly PersonConfig[], private readonly site: SiteIndex) {
    for (const s of db.listPeople()) this.changed.set(s.person.id, s.disabledAt === null ? s.person : null);
  }

  /** Everyone who may log in and be routed alerts (config merged with the API's changes). */
  list(): PersonConfig[] {
    const out: PersonConfig[] = [];
    for (const p of this.config()) {
      const c = this.changed.get(p.id);
      if (c === undefined) out.push(p);
      else if (c !== null) out.push(c);
    }
    const inConfig = new Set(this.config().map((p) => p.id));
    for (const [id, c] of this.changed) if (c !== null && !inConfig.has(id)) out.push(c);
    return out;
  }

  get(id: string): PersonConfig | undefined {
    const c = this.changed.get(id);
    return c === undefined ? this.config().find((p) => p.id === id) : c ?? undefined;
  }

  private save(person: PersonConfig, at: number): void {
    this.changed.set(person.id, person);
    this.db.savePerson(person, at);
  }

  async add(input: NewPerson, at: number): Promise<{ person: PersonConfig; password: string }> {
    if (this.get(input.id)) throw new ValidationError('GW_ERR_API_VALIDATION', 'body.id', input.id, 'must not be an existing person id');
    checkPerson(input, this.site);
    const password = newSecret();
    const person: PersonConfig = { ...input, grids: [...input.grids], passwordHash: await hashSecret(password) };
    this.save(person, at);
    return { person, password };
  }

  update(id: string, patch: PersonPatch, at: number): PersonConfig {
    const old = this.get(id);
    if (!old) throw personNotFound(id);
    const person: PersonConfig = { ...old };
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) (person as unknown as Record<string, unknown>)[k] = v;
    checkPerson(person, this.site);
    this.save(person, at);
    return person;
  }

  async resetPassword(id: string, at: number): Promise<string> {
    const old = this.get(id);
    if (!old) throw personNotFound(id);
    const password = newSecret();
    const person: PersonConfig = { ...old, passwordHash: await hashSecret(password) };
    this.save(person, at);
    return password;
  }

  /** Disables a person: they are left out of `list()` (login refused, not routed alerts). */
  disable(id: string, at: number): void {
    const old = this.get(id);
    if (!old) throw personNotFound(id);
    this.db.savePerson(old, at, true);
    this.changed.set(id, null);
  }
}
