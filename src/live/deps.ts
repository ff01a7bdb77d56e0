// What the live stage needs from the hub, named here rather than taking the whole HubContext: the
// hub's context satisfies it as it is, and the live layer stays free of src/hub.
import type { FastifyInstance } from 'fastify';
import type { InfluxDB } from 'influx';
import type { AlertService } from '../core/alert-types.js';
import type { Clock } from '../core/clock.js';
import type { HubBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { SiteIndex } from '../config/site.js';
import type { SiteRegistry } from '../registry/index.js';

export interface LiveDeps {
  /** its HTTP server carries the socket.io endpoint; routes and hooks may be added until it listens */
  app: FastifyInstance;
  site: SiteIndex;
  registry: SiteRegistry;
  bus: HubBus;
  clock: Clock;
  logger: Logger;
  config: { reports: { offlineFactor: number } };
  store: { influx: InfluxDB; database: string };
  /** the alerting stage, when attached: its open cases seed the board */
  alerts?: AlertService;
  onClose(fn: () => Promise<void> | void): void;
}
