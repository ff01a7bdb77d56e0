// The API's own small database (<dataDir>/api.db, better-sqlite3): login sessions (tokens stored
// only as sha256 hashes), the audit log of every mutation, and devices provisioned over the API
// (merged into the site registry at start so a restart keeps them), and likewise people and rule
// overrides managed over the API (merged over the config's `people` and `rules`).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RuleSpec } from '../core/rule-spec.js';
import type { DeviceConfig, PersonConfig } from '../config/schema.js';

export interface SessionRow { tokenHash: string; person: string; createdAt: number; expiresAt: number; revokedAt: number | null }
export interface AuditEntry { id: number; ts: number; actor: string; action: string; target: string; details: Record<string, unknown> }
export interface AuditQuery { from?: number; to?: number; actor?: string; limit?: number }
export interface StoredDevice { device: DeviceConfig; decommissionedAt: number | null; updatedAt: number }
export interface StoredPerson { person: PersonConfig; disabledAt: number | null; updatedAt: number }
/** key: rule id + scope key (see rule-overrides.ts); deletedAt set: the config's rule with that key is withdrawn */
export interface StoredRule { key: string; rule: RuleSpec; deletedAt: number | null; updatedAt: number }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, person TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, details TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, config TEXT NOT NULL, decommissioned_at INTEGER, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS people (id TEXT PRIMARY KEY, config TEXT NOT NULL, disabled_at INTEGER, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rule_overrides (key TEXT PRIMARY KEY, spec TEXT NOT NULL, deleted_at INTEGER, updated_at INTEGER NOT NULL);
`;

interface RawSession { token_hash: string; person: string; created_at: number; expires_at: number; revoked_at: number | null }
interface RawAudit { id: number; ts: number; actor: string; action: string; target: string; details: string }
interface RawDevice { id: string; config: string; decommissioned_at: number | null; updated_at: number }
interface RawPerson { id: string; config: string; disabled_at: number | null; updated_at: number }
interface RawRule { key: string; spec: string; deleted_at: number | null; updated_at: number }

export class ApiDb {
  private readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  addSession(s: Omit<SessionRow, 'revokedAt'>): void {
    this.db.prepare('INSERT INTO sessions (token_hash, person, created_at, expires_at) VALUES (?, ?, ?, ?)').run(s.tokenHash, s.person, s.createdAt, s.expiresAt);
  }

  session(tokenHash: string): SessionRow | undefined {
    const r = this.db.prepare('SELECT * FROM sessions WHERE token_hash = ?').get(tokenHash) as RawSession | undefined;
    return r && { tokenHash: r.token_hash, person: r.person, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at };
  }

  revokeSession(tokenHash: string, at: number): boolean {
    return this.db.prepare('UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL').run(at, tokenHash).changes > 0;
  }

  /** Forget sessions that expired before `before` (housekeeping). */
  pruneSessions(before: number): number {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(before).changes;
  }

  audit(e: Omit<AuditEntry, 'id'>): void {
    this.db.prepare('INSERT INTO audit (ts, actor, action, target, details) VALUES (?, ?, ?, ?, ?)').run(e.ts, e.actor, e.action, e.target, JSON.stringify(e.details));
  }

  listAudit(q: AuditQuery = {}): AuditEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.from !== undefined) { where.push('ts >= ?'); args.push(q.from); }
    if (q.to !== undefined) { where.push('ts <= ?'); args.push(q.to); }
    if (q.actor !== undefined) { where.push('actor = ?'); args.push(q.actor); }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit ?? 200) as RawAudit[];
    return rows.map((r) => ({ id: r.id, ts: r.ts, actor: r.actor, action: r.action, target: r.target, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  saveDevice(device: DeviceConfig, at: number, decommissioned = false): void {
    this.db.prepare('INSERT INTO devices (id, config, decommissioned_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET config = excluded.config, decommissioned_at = excluded.decommissioned_at, updated_at = excluded.updated_at')
      .run(device.id, JSON.stringify(device), decommissioned ? at : null, at);
  }

  listDevices(): StoredDevice[] {
    const rows = this.db.prepare('SELECT * FROM devices ORDER BY id').all() as RawDevice[];
    return rows.map((r) => ({ device: JSON.parse(r.config) as DeviceConfig, decommissionedAt: r.decommissioned_at, updatedAt: r.updated_at }));
  }

  /** Revokes every live session of a person; returns the revoked token hashes. */
  revokePersonSessions(person: string, at: number): string[] {
    const rows = this.db.prepare('SELECT token_hash FROM sessions WHERE person = ? AND revoked_at IS NULL').all(person) as { token_hash: string }[];
    this.db.prepare('UPDATE sessions SET revoked_at = ? WHERE person = ? AND revoked_at IS NULL').run(at, person);
    return rows.map((r) => r.token_hash);
  }

  savePerson(person: PersonConfig, at: number, disabled = false): void {
    this.db.prepare('INSERT INTO people (id, config, disabled_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET config = excluded.config, disabled_at = excluded.disabled_at, updated_at = excluded.updated_at')
      .run(person.id, JSON.stringify(person), disabled ? at : null, at);
  }

  listPeople(): StoredPerson[] {
    const rows = this.db.prepare('SELECT * FROM people ORDER BY id').all() as RawPerson[];
    return rows.map((r) => ({ person: JSON.parse(r.config) as PersonConfig, disabledAt: r.disabled_at, updatedAt: r.updated_at }));
  }

  saveRule(key: string, rule: RuleSpec, at: number, deleted = false): void {
    this.db.prepare('INSERT INTO rule_overrides (key, spec, deleted_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET spec = excluded.spec, deleted_at = excluded.deleted_at, updated_at = excluded.updated_at')
      .run(key, JSON.stringify(rule), deleted ? at : null, at);
  }

  deleteRule(key: string): void {
    this.db.prepare('DELETE FROM rule_overrides WHERE key = ?').run(key);
  }

  listRules(): StoredRule[] {
    const rows = this.db.prepare('SELECT * FROM rule_overrides ORDER BY key').all() as RawRule[];
    return rows.map((r) => ({ key: r.key, rule: JSON.parse(r.spec) as RuleSpec, deletedAt: r.deleted_at, updatedAt: r.updated_at }));
  }

  close(): void {
    this.db.close();
  }
}
