// The API's per-hub state, shared with the live layer: the api.db, the login sessions, the device
// status board, and the people and rule overrides merged from the config and api.db. Created once per HubContext and closed with the hub.
import { join } from 'node:path';
import type { HubContext } from '../hub/context.js';
import { seedFromInflux } from '../live/seed.js';
import { StatusBoard } from '../live/status-board.js';
import { ApiDb } from './db.js';
import { alertingOf } from '../alerts/attach.js';
import { People } from './people.js';
import { mergeStoredDevices } from './provisioning.js';
import { RuleOverrides } from './rule-overrides.js';
import { DEFAULT_TOKEN_TTL_MS, Sessions } from './sessions.js';

export interface ApiRuntime { db: ApiDb; sessions: Sessions; board: StatusBoard; people: People; rules: RuleOverrides }

export interface RuntimeOptions { tokenTtlMs?: number }

const runtimes = new WeakMap<HubContext, ApiRuntime>();

export function apiRuntime(ctx: HubContext, opts: RuntimeOptions = {}): ApiRuntime {
  const existing = runtimes.get(ctx);
  if (existing) return existing;
  const db = new ApiDb(join(ctx.dataDir, 'api.db'));
  mergeStoredDevices(db, ctx.site, ctx.logger);
  const people = new People(db, () => ctx.config.people, ctx.site);
  ctx.people = () => people.list();
  // the running rules engine (if alerting is attached) re-resolves device rules on every change
  const rules = new RuleOverrides(db, ctx.config.rules, ctx.site, (list) => alertingOf(ctx)?.setRuleOverrides(list));
  if (db.listRules().length > 0) alertingOf(ctx)?.setRuleOverrides(rules.rules());
  const sessions = new Sessions(db, () => people.list(), ctx.site, ctx.clock, opts.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS);
  const board = new StatusBoard(ctx.site, ctx.clock, ctx.config.reports.offlineFactor);
  board.attach(ctx.bus, ctx.alerts);
  // last known readings and presence from storage; live events that arrive meanwhile win
  seedFromInflux(board, ctx.store.influx, ctx.store.database, ctx.site).then(
    (n) => ctx.logger.debug({ devices: n }, 'device status seeded from InfluxDB'),
    (e: unknown) => ctx.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'device status not seeded from InfluxDB'),
  );
  const rt: ApiRuntime = { db, sessions, board, people, rules };
  runtimes.set(ctx, rt);
  ctx.onClose(() => { board.close(); db.close(); runtimes.delete(ctx); });
  return rt;
}
