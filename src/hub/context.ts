// What each stage's attach function receives. Stages are attached in data-path order before the
// HTTP server starts listening: store -> registry -> broker/ingest -> alerts/notify -> live -> api -> reports.
import type { FastifyInstance } from 'fastify';
import type { InfluxDB } from 'influx';
import type { Registry } from 'prom-client';
import type { AlertService } from '../core/alert-types.js';
import type { Clock } from '../core/clock.js';
import type { CommandSender, HubBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config/schema.js';
import type { SiteIndex } from '../config/site.js';
import type { SiteRegistry } from '../registry/index.js';
import type { PointSink, WriterStats } from '../store/types.js';
import type { ClusterConnections } from '../cluster/index.js';

export interface HubContext {
  config: Config;
  /** devices, people and rule overrides: read-only views and change events (src/registry) */
  registry: SiteRegistry;
  /** the registry's site tree (= registry.site) */
  site: SiteIndex;
  bus: HubBus;
  clock: Clock;
  logger: Logger;
  /** routes may be added until the hub starts listening */
  app: FastifyInstance;
  dataDir: string;
  metrics: Registry;
  store: {
    writer: PointSink & { stats(): WriterStats };
    influx: InfluxDB;
    database: string;
    url: string;
  };
  /** hub -> device downlink on gridwatch/v1/{device}/cmd, QoS 1, done only on the device's cmd/ack */
  commands: CommandSender;
  /** set by the alerting stage */
  alerts?: AlertService;
  /** cluster mode only (config.cluster): the shared Redis and PostgreSQL connections */
  cluster?: ClusterConnections;
  /** run on shutdown, in reverse order of registration */
  onClose(fn: () => Promise<void> | void): void;
}
