// The registry's and the API's two stores, as the contract suites run them: SQLite (a temp api.db)
// and PostgreSQL (a real server, a fresh database per suite, one pool per "hub").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { silentLogger } from '../../src/core/logger.js';
import { ApiDb } from '../../src/api/db.js';
import { PgApiStore } from '../../src/api/pg-store.js';
import type { ApiStore } from '../../src/api/store.js';
import { PgRegistryStore, RegistryDb, type RegistryStore } from '../../src/registry/index.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';

export interface Backend {
  name: string;
  /** a registry store over this backend's one database (a second call: a restarted hub, or another hub) */
  registryStore(): Promise<RegistryStore>;
  apiStore(): Promise<ApiStore>;
  cleanup(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'gw-contract-'));
  const file = join(dir, 'api.db');
  return {
    name: 'sqlite',
    registryStore: async () => new RegistryDb(file),
    apiStore: async () => new ApiDb(file),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

let shared: Promise<TestPostgres> | undefined;
let users = 0;
const servers: TestPostgres[] = [];

/** One PostgreSQL server per test file; each backend gets its own database on it. */
export function postgresBackend(): Backend {
  const name = `contract_${process.pid}_${++users}`;
  const pools: pg.Pool[] = [];
  let url: Promise<string> | undefined;
  const server = (): Promise<TestPostgres> => (shared ??= startTestPostgres().then((s) => { servers.push(s); return s; }));
  const pool = async (): Promise<pg.Pool> => {
    url ??= server().then((s) => s.createDatabase(name));
    const p = new pg.Pool({ connectionString: await url, max: 4 });
    // pool.end() does not wait for its connections to close: one may still be closing when the
    // server stops after the last test, and an idle connection's error is the pool's
    p.on('error', () => undefined);
    pools.push(p);
    return p;
  };
  return {
    name: 'postgres',
    registryStore: async () => PgRegistryStore.open({ pool: await pool(), logger: silentLogger() }),
    apiStore: async () => PgApiStore.open({ pool: await pool(), logger: silentLogger() }),
    cleanup: async () => {
      await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    },
  };
}

/** Stops the shared PostgreSQL (afterAll of the file). */
export async function stopPostgres(): Promise<void> {
  const s = servers.splice(0);
  shared = undefined;
  await Promise.all(s.map((x) => x.cleanup()));
}
