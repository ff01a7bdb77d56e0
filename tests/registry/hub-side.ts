// One hub's registry and API runtime in cluster mode, as src/hub/hub.ts composes them, over its
// own pool on a shared PostgreSQL (for tests of two hubs without starting whole hubs).
import pg from 'pg';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import type { Config } from '../../src/config/index.js';
import { PgApiStore } from '../../src/api/pg-store.js';
import { createApiRuntime, type ApiRuntime } from '../../src/api/runtime.js';
import type { HubContext } from '../../src/hub/context.js';
import type { StatusBoard } from '../../src/live/status-board.js';
import { PgRegistryStore, SiteRegistry, type DeviceChange, type PersonChange } from '../../src/registry/index.js';

export interface TestHubSide {
  pool: pg.Pool;
  registry: SiteRegistry;
  api: ApiRuntime;
  devices: DeviceChange[];
  people: PersonChange[];
  rules: RuleSpec[][];
  revoked: string[];
  close(): Promise<void>;
}

/** What a hub composes in cluster mode (src/hub/hub.ts): the registry and the API's runtime over one pool. */
export async function side(url: string, config: Config): Promise<TestHubSide> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined); // an idle connection ended by the server (the lost-connection test)
  const logger = silentLogger();
  const registry = await SiteRegistry.open({ config, store: await PgRegistryStore.open({ pool, logger }), clock: systemClock, logger });
  const closers: (() => Promise<void> | void)[] = [];
  const ctx = { registry, site: registry.site, clock: systemClock, dataDir: '/nonexistent', logger, onClose: (fn: () => Promise<void> | void) => closers.push(fn) } as unknown as HubContext;
  // the board is only handed through by the runtime; nothing here reads it
  const api = createApiRuntime(ctx, {} as StatusBoard, { store: await PgApiStore.open({ pool, logger }) });
  const s: TestHubSide = {
    pool, registry, api, devices: [], people: [], rules: [], revoked: [],
    close: async () => {
      for (const fn of closers.reverse()) await fn();
      await registry.close();
      await pool.end();
    },
  };
  registry.on('device', (c) => s.devices.push(c));
  registry.on('person', (c) => s.people.push(c));
  registry.on('rules', (r) => s.rules.push([...r]));
  api.sessions.on('revoked', (h) => s.revoked.push(h));
  return s;
}

