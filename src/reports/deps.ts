// ReportDeps outside the hub (the command line): the InfluxDB client from the config.
import { GridwatchError } from '../core/errors.js';
import type { Config } from '../config/schema.js';
import { SiteIndex } from '../config/site.js';
import { createInfluxClient } from '../store/client.js';
import type { ReportDeps } from './handlers.js';

/** config.influx.url (or GRIDWATCH_INFLUX_URL, already applied), else the hub's managed influxd on influx.managedPort. */
export function influxUrlOf(config: Config): string {
  if (config.influx.url) return config.influx.url;
  if (config.influx.managedPort > 0) return `http://127.0.0.1:${config.influx.managedPort}`;
  throw new GridwatchError('GW_ERR_CLI_USAGE', 'no InfluxDB to read: set influx.url in the config or GRIDWATCH_INFLUX_URL (or influx.managedPort for the hub\'s managed influxd)', { details: { field: 'influx.url' } });
}

export function reportDepsFromConfig(config: Config, now: () => number = Date.now): ReportDeps {
  const influx = createInfluxClient({
    url: influxUrlOf(config), database: config.influx.database, username: config.influx.username,
    password: config.influx.password, timeoutMs: Math.max(config.influx.timeoutMs, 60_000),
  });
  return { config, site: new SiteIndex(config), store: { influx, database: config.influx.database }, clock: { now } };
}
