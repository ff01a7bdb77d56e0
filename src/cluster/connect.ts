// The shared engines of cluster mode: one pg pool per hub and ioredis clients made on demand
// (a subscriber connection cannot run commands, so the broker, the stream and socket.io each take
// their own). Connection URLs can carry passwords: only redacted forms reach the logs.
import pg from 'pg';
import { Redis, type RedisOptions } from 'ioredis';
import type { ClusterConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';

export interface ClusterConnections {
  hubId: string;
  config: ClusterConfig;
  pool: pg.Pool;
  /** a new Redis connection, closed by close() */
  redis(name: string, extra?: RedisOptions): Redis;
  close(): Promise<void>;
}

/** `redis://:secret@h:6379/0` -> `redis://***@h:6379/0` */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password || u.username) {
      u.username = '***';
      u.password = '';
    }
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

/**
 * Every hub's pooled PostgreSQL sessions. A transaction left open longer than the lease (its hub
 * frozen mid-write: SIGSTOP, a VM pause) is ended by the server: its row locks, such as the FOR
 * SHARE on gw_lease that every fenced write takes (fenced.ts), would otherwise block the next
 * leader's epoch bump for as long as the frozen hub sleeps.
 */
export function poolConfig(postgresUrl: string, hubId: string, leaseMs: number): pg.PoolConfig {
  return { connectionString: postgresUrl, max: 10, application_name: `gridwatch-${hubId}`, idle_in_transaction_session_timeout: leaseMs };
}

export function openClusterConnections(config: ClusterConfig, logger: Logger): ClusterConnections {
  const pool = new pg.Pool(poolConfig(config.postgresUrl, config.hubId, config.leaseMs));
  pool.on('error', (err) => logger.warn({ err: { message: err.message }, postgres: redactUrl(config.postgresUrl) }, 'postgres pool connection error'));
  const clients: Redis[] = [];
  const redis = (name: string, extra: RedisOptions = {}): Redis => {
    const client = new Redis(config.redisUrl, { connectionName: `gridwatch-${config.hubId}-${name}`, ...extra });
    client.on('error', (err: Error) => logger.warn({ err: { message: err.message }, redis: redactUrl(config.redisUrl), connection: name }, 'redis connection error'));
    clients.push(client);
    return client;
  };
  logger.info({ hubId: config.hubId, redis: redactUrl(config.redisUrl), postgres: redactUrl(config.postgresUrl) }, 'cluster mode');
  return {
    hubId: config.hubId,
    config,
    pool,
    redis,
    close: async () => {
      await Promise.allSettled(clients.map(async (c) => {
        await c.quit().catch(() => undefined);
        c.disconnect();
      }));
      await pool.end().catch(() => undefined);
    },
  };
}
