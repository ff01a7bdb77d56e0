// The API's state for one hub: its store (sessions, audit: api.db in single mode, PostgreSQL in
// cluster mode, handed in by the hub), the login sessions, and what it reads from other stages (the
// registry, the device status board), handed in by the hub.
import { join } from 'node:path';
import { LoginThrottle } from '../core/throttle.js';
import type { HubContext } from '../hub/context.js';
import type { StatusBoard } from '../live/status-board.js';
import type { PersonChange, SiteRegistry } from '../registry/index.js';
import { ApiDb } from './db.js';
import { DEFAULT_TOKEN_TTL_MS, Sessions } from './sessions.js';
import type { ApiStore } from './store.js';

export interface ApiRuntime { db: ApiStore; sessions: Sessions; board: StatusBoard; registry: SiteRegistry; logins: LoginThrottle }

export interface RuntimeOptions {
  tokenTtlMs?: number;
  /** where sessions and the audit log live (default: <dataDir>/api.db); closed with the hub */
  store?: ApiStore;
}

export function createApiRuntime(ctx: HubContext, board: StatusBoard, opts: RuntimeOptions = {}): ApiRuntime {
  const db: ApiStore = opts.store ?? new ApiDb(join(ctx.dataDir, 'api.db'));
  const registry = ctx.registry;
  const sessions = new Sessions(db, (id) => registry.person(id), ctx.site, ctx.clock, opts.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS);
  const logins = new LoginThrottle();
  // a password reset, a disable or a role change: every token issued before stops working (the
  // registry awaits this, so the change's request answers only once the tokens are revoked)
  const onPerson = (c: PersonChange): Promise<number> | undefined => (c.revoke ? sessions.revokePerson(c.id) : undefined);
  registry.on('person', onPerson);
  // a shared store: tokens revoked on other hubs end this hub's live connections too, and failed
  // logins on other hubs count against the same (person, address) here
  db.follow?.({
    revoked: (hash) => sessions.emit('revoked', hash),
    login: (account, address, ok) => (ok ? logins.succeeded(account, address) : logins.failed(account, address, Date.now())),
  });
  ctx.onClose(async () => { registry.off('person', onPerson); await db.close(); });
  return { db, sessions, board, registry, logins };
}
