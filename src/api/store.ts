// What the API persists: login sessions (token hashes only) and the audit log. One interface, two
// stores: `db.ts` (SQLite api.db, single mode) and `pg-store.ts` (PostgreSQL shared by every hub,
// cluster mode: a token issued by one hub is valid on all, and a revocation holds on all).
export interface SessionRow { tokenHash: string; person: string; createdAt: number; expiresAt: number; revokedAt: number | null }
export interface AuditEntry { id: number; ts: number; actor: string; action: string; target: string; details: Record<string, unknown> }
export interface AuditQuery { from?: number; to?: number; actor?: string; limit?: number }

/** What other hubs did that this hub's live connections and login throttle must follow. */
export interface ApiStoreEvents {
  /** a token revoked on any hub (this one included): live connections opened with it end */
  revoked(tokenHash: string): void;
  /** a login on another hub: the throttle counts it here too */
  login(account: string, address: string, ok: boolean): void;
}

export interface ApiStore {
  addSession(s: Omit<SessionRow, 'revokedAt'>): Promise<void>;
  session(tokenHash: string): Promise<SessionRow | undefined>;
  /** true when the token was live and is now revoked */
  revokeSession(tokenHash: string, at: number): Promise<boolean>;
  /** Forget sessions that expired before `before` (housekeeping). */
  pruneSessions(before: number): Promise<number>;
  /** Revokes every live session of a person; returns the revoked token hashes. */
  revokePersonSessions(person: string, at: number): Promise<string[]>;
  audit(e: Omit<AuditEntry, 'id'>): Promise<void>;
  /** newest first */
  listAudit(q?: AuditQuery): Promise<AuditEntry[]>;
  /** shared stores only: tell the other hubs about a login attempt (their throttles count it) */
  shareLogin?(account: string, address: string, ok: boolean): Promise<void>;
  /** shared stores only: what other hubs did, from now on */
  follow?(events: ApiStoreEvents): void;
  close(): Promise<void>;
}
