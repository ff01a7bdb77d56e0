// The API's tables in cluster mode, shared by every hub in PostgreSQL: gw_sessions (token hashes
// only) and gw_audit. A token issued by one hub is checked against the same row on every hub, so a
// logout or a revocation holds everywhere at once. A revocation also sends NOTIFY
// `gw_sessions_revoked` (the token's hash, in the same statement) so every hub ends the live
// connections opened with it; `gw_logins` carries login attempts so each hub's throttle counts the
// failures made on the others (account and address only; never a password).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '../core/logger.js';
import { asUnavailable, openPgFeed, withSchemaLock, type PgFeed } from '../core/pg-feed.js';
import type { ApiStore, ApiStoreEvents, AuditEntry, AuditQuery, SessionRow } from './store.js';

export const REVOKED_CHANNEL = 'gw_sessions_revoked';
export const LOGINS_CHANNEL = 'gw_logins';
/** pg_advisory_xact_lock id held while the API's tables are created */
const SCHEMA_LOCK = 0x67770002;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS gw_sessions (token_hash text PRIMARY KEY, person text NOT NULL, created_at bigint NOT NULL, expires_at bigint NOT NULL, revoked_at bigint);
CREATE INDEX IF NOT EXISTS gw_sessions_expiry ON gw_sessions (expires_at);
CREATE INDEX IF NOT EXISTS gw_sessions_person ON gw_sessions (person) WHERE revoked_at IS NULL;
CREATE TABLE IF NOT EXISTS gw_audit (id bigserial PRIMARY KEY, ts bigint NOT NULL, actor text NOT NULL, action text NOT NULL, target text NOT NULL, details text NOT NULL);
CREATE INDEX IF NOT EXISTS gw_audit_ts ON gw_audit (ts);
`;

interface RawSession { token_hash: string; person: string; created_at: string; expires_at: string; revoked_at: string | null }
interface RawAudit { id: string; ts: string; actor: string; action: string; target: string; details: string }

export interface PgApiStoreOptions { pool: pg.Pool; logger: Logger }

export class PgApiStore implements ApiStore {
  /** this store's own login notifications come back to it: they are told apart by this id */
  private readonly origin = randomUUID();
  private events: ApiStoreEvents | undefined;

  private constructor(private readonly pool: pg.Pool, private readonly logger: Logger, private feed?: PgFeed) {}

  /** every statement: PostgreSQL out of reach answers GW_ERR_CLUSTER_UNAVAILABLE (503) */
  private async q<R extends pg.QueryResultRow>(what: string, sql: string, args: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, args);
    } catch (e) {
      throw asUnavailable(e, what);
    }
  }

  static async open(opts: PgApiStoreOptions): Promise<PgApiStore> {
    await withSchemaLock(opts.pool, SCHEMA_LOCK, async (c) => { await c.query(SCHEMA); });
    const store = new PgApiStore(opts.pool, opts.logger);
    store.feed = await openPgFeed({
      pool: opts.pool,
      channels: [REVOKED_CHANNEL, LOGINS_CHANNEL],
      logger: opts.logger,
      onNotification: (channel, payload) => store.notified(channel, payload),
      // sessions are read from PostgreSQL on every request; a missed revocation notice only leaves a
      // live connection open: end every one whose token is no longer valid
      resync: () => void store.resync(),
    });
    return store;
  }

  async addSession(s: Omit<SessionRow, 'revokedAt'>): Promise<void> {
    await this.q('storing a session', 'INSERT INTO gw_sessions (token_hash, person, created_at, expires_at) VALUES ($1, $2, $3, $4)', [s.tokenHash, s.person, s.createdAt, s.expiresAt]);
  }

  async session(tokenHash: string): Promise<SessionRow | undefined> {
    const r = (await this.q<RawSession>('checking a token', 'SELECT * FROM gw_sessions WHERE token_hash = $1', [tokenHash])).rows[0];
    return r && { tokenHash: r.token_hash, person: r.person, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at), revokedAt: r.revoked_at === null ? null : Number(r.revoked_at) };
  }

  async revokeSession(tokenHash: string, at: number): Promise<boolean> {
    return (await this.revokeWhere('token_hash = $2', [at, tokenHash])).length > 0;
  }

  async pruneSessions(before: number): Promise<number> {
    return (await this.q('pruning sessions', 'DELETE FROM gw_sessions WHERE expires_at < $1', [before])).rowCount ?? 0;
  }

  revokePersonSessions(person: string, at: number): Promise<string[]> {
    return this.revokeWhere('person = $2', [at, person]);
  }

  async audit(e: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.q('writing the audit log', 'INSERT INTO gw_audit (ts, actor, action, target, details) VALUES ($1, $2, $3, $4, $5)', [e.ts, e.actor, e.action, e.target, JSON.stringify(e.details)]);
  }

  async listAudit(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.from !== undefined) { args.push(q.from); where.push(`ts >= $${args.length}`); }
    if (q.to !== undefined) { args.push(q.to); where.push(`ts <= $${args.length}`); }
    if (q.actor !== undefined) { args.push(q.actor); where.push(`actor = $${args.length}`); }
    args.push(q.limit ?? 200);
    const sql = `SELECT * FROM gw_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`;
    const rows = (await this.q<RawAudit>('reading the audit log', sql, args)).rows;
    return rows.map((r) => ({ id: Number(r.id), ts: Number(r.ts), actor: r.actor, action: r.action, target: r.target, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  /** Best effort: a login is not refused because the other hubs could not be told of it. */
  async shareLogin(account: string, address: string, ok: boolean): Promise<void> {
    // the payload limit is 8000 bytes; the login route bounds the account name to 64 characters
    await this.pool.query('SELECT pg_notify($1, $2)', [LOGINS_CHANNEL, JSON.stringify({ o: this.origin, a: account, ip: address, ok })])
      .catch((e: unknown) => this.logger.warn({ err: { message: (e as Error).message } }, 'api: could not share a login attempt with the other hubs'));
  }

  follow(events: ApiStoreEvents): void {
    this.events = events;
  }

  private closing: Promise<void> | undefined;

  close(): Promise<void> {
    this.events = undefined;
    return (this.closing ??= this.feed?.close() ?? Promise.resolve());
  }

  /** one statement: the revocation and its notices commit together */
  private async revokeWhere(cond: string, args: unknown[]): Promise<string[]> {
    const sql = `WITH r AS (UPDATE gw_sessions SET revoked_at = $1 WHERE ${cond} AND revoked_at IS NULL RETURNING token_hash)
      SELECT token_hash, pg_notify('${REVOKED_CHANNEL}', to_json(token_hash)::text) FROM r`;
    return (await this.q<{ token_hash: string }>('revoking sessions', sql, args)).rows.map((r) => r.token_hash);
  }

  private notified(channel: string, payload: unknown): void {
    const events = this.events;
    if (!events) return;
    if (channel === REVOKED_CHANNEL && typeof payload === 'string') {
      events.revoked(payload);
    } else if (channel === LOGINS_CHANNEL) {
      const n = payload as { o?: unknown; a?: unknown; ip?: unknown; ok?: unknown } | undefined;
      if (n?.o === this.origin || typeof n?.a !== 'string' || typeof n.ip !== 'string') return;
      events.login(n.a, n.ip, n.ok === true);
    }
  }

  private async resync(): Promise<void> {
    try {
      const rows = (await this.pool.query<{ token_hash: string }>('SELECT token_hash FROM gw_sessions WHERE revoked_at IS NOT NULL AND expires_at > $1', [Date.now()])).rows;
      for (const r of rows) this.events?.revoked(r.token_hash);
    } catch (e) {
      this.logger.warn({ err: { message: (e as Error).message } }, 'api: re-reading revoked sessions after a lost feed failed');
    }
  }
}
