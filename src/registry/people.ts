// People: the config's merged with those managed over the API (add with a fresh password shown
// once and stored only as a scrypt hash, change, reset a password, disable). Changes are persisted
// in api.db's `people` table, merged over the config at start (the YAML file is not rewritten).
// Used through the Registry, which announces every change. A change is stored first, then applied;
// `merge` applies a row stored by another hub (cluster mode).
import type { Role } from '../core/domain.js';
import { GridwatchError, ValidationError } from '../core/errors.js';
import { hashSecret, newSecret } from '../core/secret.js';
import type { PersonConfig } from '../config/schema.js';
import type { SiteIndex } from '../config/site.js';
import type { RegistryStore, StoredPerson } from './store.js';

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
  constructor(private readonly db: RegistryStore, private readonly config: () => readonly PersonConfig[], stored: readonly StoredPerson[], private readonly site: SiteIndex) {
    for (const s of stored) this.changed.set(s.person.id, s.disabledAt === null ? s.person : null);
  }

  /** Applies a stored row; returns the person before and after (undefined: nothing changed). */
  merge(s: StoredPerson): { before: PersonConfig | undefined; after: PersonConfig | undefined } | undefined {
    const id = s.person.id;
    const before = this.get(id);
    const after = s.disabledAt === null ? s.person : undefined;
    this.changed.set(id, after ?? null);
    if (JSON.stringify(before) === JSON.stringify(after)) return undefined;
    return { before, after };
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

  private async save(person: PersonConfig, at: number): Promise<void> {
    await this.db.savePerson(person, at);
    this.changed.set(person.id, person);
  }

  async add(input: NewPerson, at: number): Promise<{ person: PersonConfig; password: string }> {
    if (this.get(input.id)) throw new ValidationError('GW_ERR_API_VALIDATION', 'body.id', input.id, 'must not be an existing person id');
    checkPerson(input, this.site);
    const password = newSecret();
    const person: PersonConfig = { ...input, grids: [...input.grids], passwordHash: await hashSecret(password) };
    const taken = (): ValidationError => new ValidationError('GW_ERR_API_VALIDATION', 'body.id', input.id, 'must not be an existing person id');
    if (this.get(input.id)) throw taken();
    if (!(await this.db.createPerson(person, at))) throw taken(); // another hub added it first
    this.changed.set(person.id, person);
    return { person, password };
  }

  async update(id: string, patch: PersonPatch, at: number): Promise<PersonConfig> {
    const old = this.get(id);
    if (!old) throw personNotFound(id);
    const person: PersonConfig = { ...old };
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) (person as unknown as Record<string, unknown>)[k] = v;
    checkPerson(person, this.site);
    await this.save(person, at);
    return person;
  }

  async resetPassword(id: string, at: number): Promise<string> {
    if (!this.get(id)) throw personNotFound(id);
    const password = newSecret();
    const passwordHash = await hashSecret(password);
    const old = this.get(id); // as it stands after hashing (another hub may have changed it)
    if (!old) throw personNotFound(id);
    await this.save({ ...old, passwordHash }, at);
    return password;
  }

  /** Disables a person: they are left out of `list()` (login refused, not routed alerts). */
  async disable(id: string, at: number): Promise<void> {
    const old = this.get(id);
    if (!old) throw personNotFound(id);
    await this.db.savePerson(old, at, true);
    this.changed.set(id, null);
  }
}
