// A PostgreSQL LISTEN connection that survives the server going away (pg-listen: its own client,
// re-LISTEN after a reconnect). A notification is lost while the connection is down, so after
// every reconnect `resync` runs: the owner reloads what it caches and catches up. Used by the
// shared (cluster mode) stores of the registry and the API; single mode never opens one.
import pg from 'pg';
import pgListen from 'pg-listen';
import { GridwatchError } from './errors.js';
import type { Logger } from './logger.js';

export interface PgFeed {
  close(): Promise<void>;
}

export interface PgFeedOptions {
  pool: pg.Pool;
  channels: readonly string[];
  onNotification(channel: string, payload: unknown): void;
  /** after a reconnect: notifications may have been missed */
  resync(): void;
  logger: Logger;
  /** how often an idle connection is checked (default 5 s): a silently dead one is found this fast */
  checkMs?: number;
}

// pg-listen is CommonJS with `exports.default`; under ESM the default import is the exports object.
const createSubscriber = pgListen.default;

/** Resolves once every channel is listened to; the connection's config is the pool's. */
export async function openPgFeed(opts: PgFeedOptions): Promise<PgFeed> {
  const { connectionString, host, port, user, database, password, application_name } = opts.pool.options;
  const subscriber = createSubscriber(
    { connectionString, host, port, user, database, password, application_name },
    {
      paranoidChecking: opts.checkMs ?? 5000,
      // never give up: a hub outlives a PostgreSQL restart (backoff up to 5 s)
      retryLimit: Infinity,
      retryTimeout: 0,
      retryInterval: (attempt: number) => Math.min(5000, 250 * 2 ** Math.min(attempt, 5)),
    },
  );
  let first = true;
  subscriber.events.on('connected', () => {
    if (first) { first = false; return; }
    opts.logger.info({ channels: opts.channels }, 'postgres notification feed reconnected: reloading');
    opts.resync();
  });
  subscriber.events.on('reconnect', (attempt: number) => {
    if (attempt === 1) opts.logger.warn({ channels: opts.channels }, 'postgres notification feed lost: reconnecting');
  });
  subscriber.events.on('error', (err: Error) => opts.logger.warn({ err: { message: err.message }, channels: opts.channels }, 'postgres notification feed error'));
  subscriber.events.on('notification', (n: { channel: string; payload?: unknown }) => {
    try {
      opts.onNotification(n.channel, n.payload);
    } catch (e) {
      opts.logger.error({ err: e, channel: n.channel }, 'postgres notification handler failed');
    }
  });
  await subscriber.connect();
  try {
    for (const c of opts.channels) await subscriber.listenTo(c);
  } catch (e) {
    await subscriber.close().catch(() => undefined);
    throw e;
  }
  return { close: async () => { await subscriber.close().catch(() => undefined); } };
}

/**
 * A failure to reach PostgreSQL (refused, reset, shutting down, out of connections) as
 * GW_ERR_CLUSTER_UNAVAILABLE (503, retryable), so a caller answers "try again" and nothing half
 * happened; an error of the statement itself (a SQLSTATE of another class) is passed on as it is.
 * The message never carries the connection URL.
 */
export function asUnavailable(e: unknown, what: string): unknown {
  const code = (e as { code?: unknown } | undefined)?.code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  if (sqlState !== undefined && !/^(08|53|57)/.test(sqlState)) return e;
  return new GridwatchError('GW_ERR_CLUSTER_UNAVAILABLE', `PostgreSQL cannot be reached (${what}); try again shortly`, { retryable: true, cause: e, details: { what } });
}

/** Runs `fn` holding a transaction-scoped advisory lock: two hubs starting together do not race
 * on the catalog creating the same tables. */
export async function withSchemaLock(pool: pg.Pool, lockId: number, fn: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [lockId]);
    await fn(client);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
