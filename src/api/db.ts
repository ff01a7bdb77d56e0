// The API's own tables in <dataDir>/api.db (better-sqlite3, file 0600; single mode): login
// sessions (tokens stored only as sha256 hashes) and the audit log of every mutation. Devices,
// people and rule overrides in the same file belong to the registry stage (src/registry/db.ts).
import Database from 'better-sqlite3';
import { ensurePrivateFile } from '../core/files.js';
import type { ApiStore, AuditEntry, AuditQuery, SessionRow } from './store.js';

export type { AuditEntry, AuditQuery, SessionRow } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, person TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, details TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
`;

interface RawSession { token_hash: string; person: string; created_at: number; expires_at: number; revoked_at: number | null }
interface RawAudit { id: number; ts: number; actor: string; action: string; target: string; details: string }

export class ApiDb implements ApiStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    ensurePrivateFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  async addSession(s: Omit<SessionRow, 'revokedAt'>): Promise<void> {
    this.db.prepare('INSERT INTO sessions (token_hash, person, created_at, expires_at) VALUES (?, ?, ?, ?)').run(s.tokenHash, s.person, s.createdAt, s.expiresAt);
  }

  async session(tokenHash: string): Promise<SessionRow | undefined> {
    const r = this.db.prepare('SELECT * FROM sessions WHERE token_hash = ?').get(tokenHash) as RawSession | undefined;
    return r && { tokenHash: r.token_hash, person: r.person, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at };
  }

  async revokeSession(tokenHash: string, at: number): Promise<boolean> {
    return this.db.prepare('UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL').run(at, tokenHash).changes > 0;
  }

  async pruneSessions(before: number): Promise<number> {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(before).changes;
  }

  async audit(e: Omit<AuditEntry, 'id'>): Promise<void> {
    this.db.prepare('INSERT INTO audit (ts, actor, action, target, details) VALUES (?, ?, ?, ?, ?)').run(e.ts, e.actor, e.action, e.target, JSON.stringify(e.details));
  }

  async listAudit(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.from !== undefined) { where.push('ts >= ?'); args.push(q.from); }
    if (q.to !== undefined) { where.push('ts <= ?'); args.push(q.to); }
    if (q.actor !== undefined) { where.push('actor = ?'); args.push(q.actor); }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit ?? 200) as RawAudit[];
    return rows.map((r) => ({ id: r.id, ts: r.ts, actor: r.actor, action: r.action, target: r.target, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  async revokePersonSessions(person: string, at: number): Promise<string[]> {
    const rows = this.db.prepare('SELECT token_hash FROM sessions WHERE person = ? AND revoked_at IS NULL').all(person) as { token_hash: string }[];
    this.db.prepare('UPDATE sessions SET revoked_at = ? WHERE person = ? AND revoked_at IS NULL').run(at, person);
    return rows.map((r) => r.token_hash);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
