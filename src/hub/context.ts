// What each stage's attach function receives. Stages are attached in data-path order before the
// HTTP server starts listening: store -> broker/ingest -> alerts/notify -> api/live -> reports.
import type { FastifyInstance } from 'fastify';
import type { InfluxDB } from 'influx';
import type { Registry } from 'prom-client';
import type { AlertService } from '../core/alert-types.js';
import type { Clock } from '../core/clock.js';
import type { CommandSender, HubBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { Config, PersonConfig } from '../config/schema.js';
import type { SiteIndex } from '../config/site.js';
import type { PointSink, WriterStats } from '../store/types.js';

export interface HubContext {
  config: Config;
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
  /** set by the API stage: the config's people merged with those managed over the API (disabled ones left out) */
  people?: () => readonly PersonConfig[];
  /** run on shutdown, in reverse order of registration */
  onClose(fn: () => Promise<void> | void): void;
}
