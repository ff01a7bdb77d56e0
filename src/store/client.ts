// The InfluxDB 1.x client (node-influx) built from config.influx, and database setup.
import { InfluxDB, type IPoolOptions } from 'influx';
import { GridwatchError } from '../core/errors.js';
import { applyDownsampling } from './downsample.js';
import { influxSchemas } from './points.js';

export interface InfluxConnection {
  url: string;
  database: string;
  username?: string;
  password?: string;
  /** per-request timeout (config.influx.timeoutMs) */
  timeoutMs?: number;
}

// node-influx takes a host out of its pool for an exponential backoff after a network error or 5xx;
// with our single host every request in that window would fail with "No host available" (queries
// too). The writer does its own retry/backoff and spooling, so the pool never benches the host.
type BackoffStrategy = NonNullable<IPoolOptions['backoff']>;
const NO_HOST_BACKOFF: BackoffStrategy = {
  getDelay: () => 0,
  next: () => NO_HOST_BACKOFF,
  reset: () => NO_HOST_BACKOFF,
};

export function createInfluxClient(conn: InfluxConnection): InfluxDB {
  let url: URL;
  try {
    url = new URL(conn.url);
  } catch (e) {
    throw new GridwatchError('GW_ERR_CONFIG_INVALID', `influx.url '${conn.url}' is not a valid URL (expected e.g. http://127.0.0.1:8086)`, { cause: e, details: { field: 'influx.url', value: conn.url } });
  }
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new GridwatchError('GW_ERR_CONFIG_INVALID', `influx.url '${conn.url}' must start with http:// or https://`, { details: { field: 'influx.url', value: conn.url } });
  }
  const path = url.pathname.replace(/\/+$/, '');
  return new InfluxDB({
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80,
    protocol,
    path,
    database: conn.database,
    username: conn.username,
    password: conn.password,
    schema: influxSchemas(conn.database),
    pool: { maxRetries: 0, requestTimeout: conn.timeoutMs ?? 5000, backoff: NO_HOST_BACKOFF },
  });
}

/** Create the database (idempotent) and its retention policies / continuous queries. */
export async function ensureDatabase(influx: InfluxDB, db: string): Promise<void> {
  try {
    await influx.createDatabase(db);
  } catch (e) {
    throw new GridwatchError('GW_ERR_STORE_WRITE', `cannot create InfluxDB database '${db}': ${e instanceof Error ? e.message : String(e)}`, { cause: e, retryable: true });
  }
  await applyDownsampling(influx, db);
}
