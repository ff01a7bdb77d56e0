// The API's state for one hub: its api.db tables (sessions, audit), the login sessions, and what it
// reads from other stages (the registry, the device status board), handed in by the hub.
import { join } from 'node:path';
import { LoginThrottle } from '../core/throttle.js';
import type { HubContext } from '../hub/context.js';
import type { StatusBoard } from '../live/status-board.js';
import type { PersonChange, SiteRegistry } from '../registry/index.js';
import { ApiDb } from './db.js';
import { DEFAULT_TOKEN_TTL_MS, Sessions } from './sessions.js';

export interface ApiRuntime { db: ApiDb; sessions: Sessions; board: StatusBoard; registry: SiteRegistry; logins: LoginThrottle }

export interface RuntimeOptions { tokenTtlMs?: number }

export function createApiRuntime(ctx: HubContext, board: StatusBoard, opts: RuntimeOptions = {}): ApiRuntime {
  const db = new ApiDb(join(ctx.dataDir, 'api.db'));
  const registry = ctx.registry;
  const sessions = new Sessions(db, (id) => registry.person(id), ctx.site, ctx.clock, opts.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS);
  // a password reset, a disable or a role change: every token issued before stops working
  const onPerson = (c: PersonChange): void => { if (c.revoke) sessions.revokePerson(c.id); };
  registry.on('person', onPerson);
  ctx.onClose(() => { registry.off('person', onPerson); db.close(); });
  return { db, sessions, board, registry, logins: new LoginThrottle() };
}
