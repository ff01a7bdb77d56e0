// The registry's persistence in single mode: devices, people and rule overrides managed over the
// API, in <dataDir>/api.db (tables `devices`, `people`, `rule_overrides`; the same file and tables
// as before the registry stage existed, so existing data carries over). Merged over the config at
// start. The writes are synchronous (better-sqlite3); the RegistryStore interface wraps them.
import Database from 'better-sqlite3';
import { ensurePrivateFile } from '../core/files.js';
import type { RuleSpec } from '../core/rule-spec.js';
import type { DeviceConfig, PersonConfig } from '../config/schema.js';
import type { RegistrySnapshot, RegistryStore, StoredDevice, StoredPerson, StoredRule } from './store.js';

export type { StoredDevice, StoredPerson, StoredRule } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, config TEXT NOT NULL, decommissioned_at INTEGER, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS people (id TEXT PRIMARY KEY, config TEXT NOT NULL, disabled_at INTEGER, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rule_overrides (key TEXT PRIMARY KEY, spec TEXT NOT NULL, deleted_at INTEGER, updated_at INTEGER NOT NULL);
`;

interface RawDevice { id: string; config: string; decommissioned_at: number | null; updated_at: number }
interface RawPerson { id: string; config: string; disabled_at: number | null; updated_at: number }
interface RawRule { key: string; spec: string; deleted_at: number | null; updated_at: number }

export class RegistryDb implements RegistryStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    ensurePrivateFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  /** the SiteRegistry constructor's synchronous start */
  loadSync(): RegistrySnapshot {
    return { devices: this.listDevices(), people: this.listPeople(), rules: this.listRules() };
  }

  async load(): Promise<RegistrySnapshot> {
    return this.loadSync();
  }

  async saveDevice(device: DeviceConfig, at: number, decommissioned = false): Promise<void> {
    this.db.prepare('INSERT INTO devices (id, config, decommissioned_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET config = excluded.config, decommissioned_at = excluded.decommissioned_at, updated_at = excluded.updated_at')
      .run(device.id, JSON.stringify(device), decommissioned ? at : null, at);
  }

  listDevices(): StoredDevice[] {
    const rows = this.db.prepare('SELECT * FROM devices ORDER BY id').all() as RawDevice[];
    return rows.map((r) => ({ device: JSON.parse(r.config) as DeviceConfig, decommissionedAt: r.decommissioned_at, updatedAt: r.updated_at }));
  }

  async createDevice(device: DeviceConfig, at: number): Promise<boolean> {
    return this.db.prepare('INSERT INTO devices (id, config, decommissioned_at, updated_at) VALUES (?, ?, NULL, ?) ON CONFLICT(id) DO UPDATE SET config = excluded.config, decommissioned_at = NULL, updated_at = excluded.updated_at WHERE devices.decommissioned_at IS NOT NULL')
      .run(device.id, JSON.stringify(device), at).changes > 0;
  }

  async createPerson(person: PersonConfig, at: number): Promise<boolean> {
    return this.db.prepare('INSERT INTO people (id, config, disabled_at, updated_at) VALUES (?, ?, NULL, ?) ON CONFLICT(id) DO UPDATE SET config = excluded.config, disabled_at = NULL, updated_at = excluded.updated_at WHERE people.disabled_at IS NOT NULL')
      .run(person.id, JSON.stringify(person), at).changes > 0;
  }

  async savePerson(person: PersonConfig, at: number, disabled = false): Promise<void> {
    this.db.prepare('INSERT INTO people (id, config, disabled_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET config = excluded.config, disabled_at = excluded.disabled_at, updated_at = excluded.updated_at')
      .run(person.id, JSON.stringify(person), disabled ? at : null, at);
  }

  listPeople(): StoredPerson[] {
    const rows = this.db.prepare('SELECT * FROM people ORDER BY id').all() as RawPerson[];
    return rows.map((r) => ({ person: JSON.parse(r.config) as PersonConfig, disabledAt: r.disabled_at, updatedAt: r.updated_at }));
  }

  async saveRule(key: string, rule: RuleSpec, at: number, deleted = false): Promise<void> {
    this.db.prepare('INSERT INTO rule_overrides (key, spec, deleted_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET spec = excluded.spec, deleted_at = excluded.deleted_at, updated_at = excluded.updated_at')
      .run(key, JSON.stringify(rule), deleted ? at : null, at);
  }

  listRules(): StoredRule[] {
    const rows = this.db.prepare('SELECT * FROM rule_overrides ORDER BY key').all() as RawRule[];
    return rows.map((r) => ({ key: r.key, rule: JSON.parse(r.spec) as RuleSpec, deletedAt: r.deleted_at, updatedAt: r.updated_at }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
