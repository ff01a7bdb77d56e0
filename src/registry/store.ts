// What the registry persists and how: one interface, two stores. `db.ts` (SQLite, api.db: single
// mode) and `pg-store.ts` (PostgreSQL, shared by every hub: cluster mode). Rows are written only
// through the registry, which announces each change once it is stored.
import type { RuleSpec } from '../core/rule-spec.js';
import type { DeviceConfig, PersonConfig } from '../config/schema.js';

export interface StoredDevice { device: DeviceConfig; decommissionedAt: number | null; updatedAt: number }
export interface StoredPerson { person: PersonConfig; disabledAt: number | null; updatedAt: number }
/** key: rule id + scope key (see rule-overrides.ts); deletedAt set: the config's rule with that key is withdrawn */
export interface StoredRule { key: string; rule: RuleSpec; deletedAt: number | null; updatedAt: number }

export interface RegistrySnapshot { devices: StoredDevice[]; people: StoredPerson[]; rules: StoredRule[] }

/** A row as it now stands in a shared store, changed by another hub (or by this one racing it). */
export type StoredChange =
  | { table: 'device'; row: StoredDevice }
  | { table: 'person'; row: StoredPerson }
  | { table: 'rule'; row: StoredRule };

export interface RegistryStore {
  /** every stored row, ordered by key */
  load(): Promise<RegistrySnapshot>;
  saveDevice(device: DeviceConfig, at: number, decommissioned?: boolean): Promise<void>;
  /** Stores a new device unless a live one has its id (false: another hub registered it first);
   * a decommissioned id may be registered again. */
  createDevice(device: DeviceConfig, at: number): Promise<boolean>;
  savePerson(person: PersonConfig, at: number, disabled?: boolean): Promise<void>;
  /** Stores a new person unless a live one has the id (false); a disabled id may be added again. */
  createPerson(person: PersonConfig, at: number): Promise<boolean>;
  saveRule(key: string, rule: RuleSpec, at: number, deleted?: boolean): Promise<void>;
  /**
   * Shared stores only: from now on, each row another writer stores is handed to `onChange` as it
   * then stands (in the order stored, per row; never one older than a row this store already
   * loaded, saved or handed over). After a lost connection every newer row is handed over again.
   */
  follow?(onChange: (change: StoredChange) => void): void;
  close(): Promise<void>;
}
