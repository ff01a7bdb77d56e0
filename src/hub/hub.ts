// The composition root: store -> registry -> broker/ingest -> (alerts, notify, live, api, reports) -> listen.
// `hub.close()` stops accepting, runs the stages' onClose hooks in reverse, flushes the writer
// and stops a managed influxd.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EventEmitter } from 'node:events';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { systemClock, type Clock } from '../core/clock.js';
import { GridwatchError } from '../core/errors.js';
import { HubBus, type RelayInput } from '../core/events.js';
import { createLogger, type Logger } from '../core/logger.js';
import type { Config } from '../config/schema.js';
import { PgRegistryStore, SiteRegistry, type DeviceChange } from '../registry/index.js';
import { createGridwatchBroker, type GridwatchBroker } from '../broker/broker.js';
import { hardFrameLimit } from '../broker/frame-guard.js';
import { attachWebSocket, listenTcp } from '../broker/listeners.js';
import { pauseWhileSaturated } from '../broker/backpressure.js';
import { Ingest } from '../ingest/pipeline.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { createInfluxClient, ensureDatabase } from '../store/client.js';
import { startInfluxd, type ManagedInfluxd } from '../store/influxd.js';
import { presencePoint, readingPoint } from '../store/points.js';
import { InfluxWriter } from '../store/writer.js';
import { ReadingDedup } from '../ingest/dedup.js';
import { ReadingJournal } from '../ingest/journal.js';
import { RedisIngestMemory } from '../ingest/shared.js';
import { attachAlerting, type AlertingHandle } from '../alerts/attach.js';
import { openPgCaseStore } from '../alerts/store-pg.js';
import { createNotifiers, createReportDigestSender } from '../notify/attach.js';
import { attachApi } from '../api/index.js';
import { PgApiStore } from '../api/pg-store.js';
import type { ApiStore } from '../api/store.js';
import { attachLive, attachStatusBoard } from '../live/index.js';
import { relayBoard } from '../live/relay.js';
import type { StatusBoard } from '../live/status-board.js';
import { attachReports } from '../reports/index.js';
import { registerPanel } from '../api/static.js';
import { openClusterConnections, reportClaims, StreamProducer, type ClusterConnections } from '../cluster/index.js';
import { createAdapter } from '@socket.io/redis-adapter';
import type { HubContext } from './context.js';
import { attachClusterRules } from './cluster-rules.js';
import { registerHubRoutes } from './http.js';

export interface StartHubOptions {
  clock?: Clock;
  logger?: Logger;
  /** overrides config.influx.url (tests) */
  influxUrl?: string;
}

export interface Hub {
  ctx: HubContext;
  broker: GridwatchBroker;
  /** the real ports (config may say 0) */
  mqttPort: number;
  httpPort: number;
  influxUrl: string;
  /** the alerting stage (absent with alerting.enabled: false); tests drive its tick() with a ManualClock */
  alerting?: AlertingHandle;
  /** the panel's device status board (src/live) */
  board: StatusBoard;
  /** the managed influxd, when the hub started one */
  influxd?: ManagedInfluxd;
  close(): Promise<void>;
}

type Step = () => Promise<void> | void;

export async function startHub(config: Config, opts: StartHubOptions = {}): Promise<Hub> {
  const logger = opts.logger ?? createLogger();
  const clock = opts.clock ?? systemClock;
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const hooks: Step[] = []; // the stages' onClose hooks
  const stopListening: Step[] = []; // TCP, WebSocket, broker, HTTP
  const stopStore: Step[] = []; // writer, database retry, influxd
  const runReversed = async (steps: Step[]): Promise<void> => {
    for (const step of [...steps].reverse()) {
      try {
        await step();
      } catch (e) {
        logger.error({ err: e }, 'shutdown step failed');
      }
    }
  };
  const shutdown = async (): Promise<void> => {
    await runReversed(stopListening);
    await new Promise((r) => setImmediate(r)); // let the last presence points reach the ingest (written by its close)
    await runReversed(hooks);
    await runReversed(stopStore);
  };

  try {
    // --- cluster mode: the shared Redis and PostgreSQL (closed after everything else) ---
    let cluster: ClusterConnections | undefined;
    if (config.cluster) {
      const conn = openClusterConnections(config.cluster, logger.child({ stage: 'cluster' }));
      cluster = conn;
      stopStore.unshift(() => conn.close());
    }
    // --- store ---
    let influxd: ManagedInfluxd | undefined;
    let url = opts.influxUrl ?? config.influx.url;
    if (!url && cluster) {
      // a managed influxd per hub would split the readings over N servers
      throw new GridwatchError('GW_ERR_CONFIG_INVALID', 'cluster mode needs one InfluxDB shared by every hub: set influx.url in the config or GRIDWATCH_INFLUX_URL (docs/deploy.md, "Cluster mode")', { details: { path: '/influx/url' } });
    }
    if (!url) {
      const managed = await startInfluxd({ dir: join(dataDir, 'influxdb'), port: config.influx.managedPort, supervise: true, logger: logger.child({ stage: 'influxd' }) });
      influxd = managed;
      stopStore.push(() => managed.stop());
      url = managed.url;
      logger.info({ url }, 'managed influxd started');
    }
    const database = config.influx.database;
    const influx = createInfluxClient({ url, database, username: config.influx.username, password: config.influx.password, timeoutMs: config.influx.timeoutMs });
    const dbReady = await retryUntilDone(() => ensureDatabase(influx, database), logger);
    stopStore.push(() => dbReady.stop());
    const metrics = new Registry();
    const writer = await InfluxWriter.open({ url, username: config.influx.username, password: config.influx.password, database, dataDir, batchSize: config.influx.batchSize, flushMs: config.influx.flushMs, timeoutMs: config.influx.timeoutMs, postsInFlight: config.influx.postsInFlight, maxPendingPoints: config.influx.maxPendingPoints, logger, metrics });
    stopStore.push(() => writer.close());

    // --- broker / ingest ---
    const bus = new HubBus();
    // an async listener's rejection arrives as 'error' (captureRejections); log it, never crash
    (bus as EventEmitter).on('error', (e: unknown) => logger.error({ err: e }, 'bus listener failed'));
    // --- registry: devices, people, rule overrides (config merged with api.db) ---
    let registry: SiteRegistry;
    let apiStore: ApiStore | undefined;
    if (cluster) {
      // cluster mode: the registry's tables, the API's sessions and audit log in PostgreSQL shared
      // by every hub; a change stored by another hub arrives by NOTIFY and is announced here too
      const registryLogger = logger.child({ stage: 'registry' });
      const store = await PgRegistryStore.open({ pool: cluster.pool, logger: registryLogger });
      registry = await SiteRegistry.open({ config, store, clock, logger: registryLogger }).catch(async (e: unknown) => {
        await store.close();
        throw e;
      });
    } else {
      registry = new SiteRegistry({ config, file: join(dataDir, 'api.db'), clock, logger: logger.child({ stage: 'registry' }) });
    }
    const reg = registry;
    hooks.push(() => reg.close());
    if (cluster) {
      const opened = await PgApiStore.open({ pool: cluster.pool, logger: logger.child({ stage: 'api' }) });
      apiStore = opened;
      hooks.push(() => opened.close()); // closing twice (the API closes it too) is a no-op
    }
    const site = registry.site;
    const app = Fastify({ loggerInstance: logger.child({ stage: 'http' }), forceCloseConnections: true }) as unknown as FastifyInstance;
    let answerTo: GridwatchBroker['answer'] = () => undefined;
    const dedup = new ReadingDedup();
    const { journal, loaded } = await ReadingJournal.open({ dir: join(dataDir, 'ingest') }, dedup);
    if (loaded > 0) logger.info({ entries: loaded }, 'ingest journal loaded: re-sent readings land on their original points');
    stopStore.push(() => journal.close());
    // cluster mode: what a hub accepts goes to the rules leader on a Redis stream, before its PUBACK
    const producer = cluster && config.alerting.enabled ? new StreamProducer(cluster.redis('rules-producer', { enableAutoPipelining: true }), { hub: cluster.hubId }) : undefined;
    const ingest = new Ingest({
      dedup, journal,
      ...(producer ? { relay: async (input: RelayInput) => void await producer.add(input, clock.now()) } : {}),
      // cluster mode: a device's re-send may reach another hub; the reading memory is shared
      ...(cluster ? { shared: new RedisIngestMemory(cluster.redis('ingest', { enableAutoPipelining: true })) } : {}),
      sink: writer, bus, logger, metrics: createIngestMetrics(metrics, { deviceLabels: config.metrics.deviceLabels }),
      points: { reading: readingPoint, presence: presencePoint },
      answer: (device, answer) => answerTo(device, answer),
      maxBytes: config.mqtt.maxPacketBytes,
      batchPoints: config.influx.batchSize,
      presenceLingerMs: config.influx.flushMs,
    });
    stopStore.push(() => ingest.close()); // the presence points still gathering, before the writer closes
    const broker = await createGridwatchBroker({
      options: { maxPacketBytes: config.mqtt.maxPacketBytes, ratePerSecond: config.mqtt.ratePerSecond, rateBurst: config.mqtt.rateBurst, commandAckMs: config.mqtt.commandAckMs, commandAttempts: config.mqtt.commandAttempts },
      lookup: (id) => registry.device(id), ingest, clock, logger: logger.child({ stage: 'broker' }), metrics, dataDir,
      // cluster mode: aedes on the shared Redis (sessions, retained, wills, messages between hubs)
      ...(cluster ? { cluster: { hubId: cluster.hubId, redis: (name: string) => cluster.redis(name) } } : {}),
    });
    answerTo = broker.answer;
    bus.on('cmdAck', (ack) => broker.commandAcked(ack));
    // a rotated or decommissioned device's open connection is closed: it must authenticate again
    const onDeviceChange = (c: DeviceChange): void => {
      if (c.type !== 'added') broker.disconnect(c.device.id);
    };
    registry.on('device', onDeviceChange);
    // InfluxDB slower than the devices: stop reading their sockets until the writer drains
    stopListening.push(pauseWhileSaturated(broker.aedes, writer, logger.child({ stage: 'broker' })));
    registerHubRoutes(app, metrics, { metricsToken: config.metrics.token }, { brokerUp: () => !broker.aedes.closed, connectedDevices: () => broker.connectedDevices(), writer });

    const ctx: HubContext = {
      config, registry, site, bus, clock, logger, app, dataDir, metrics,
      store: { writer, influx, database, url },
      commands: { send: (device, payload, opts) => broker.send(device, payload, opts) },
      onClose: (fn) => hooks.push(fn),
      ...(cluster ? { cluster } : {}),
    };

    // --- stages attached by other modules (alerts, api/live, reports), in data-path order ---
    // The panel already hears every case change on the bus, so the notify stage's own live
    // channel would only repeat it.
    // alerting.enabled: false leaves ctx.alerts unset, so the API does not mount /alerts, /silences
    let alerting: AlertingHandle | undefined;
    if (config.alerting.enabled) {
      const notifiers = createNotifiers(ctx, undefined, { live: false });
      if (cluster) {
        // cluster mode: cases, ledger, escalations and silences in PostgreSQL, shared by every hub.
        // Rules run on the lease holder only, fed from the stream every hub produces to (not from
        // this hub's bus); its writes are fenced by the lease. A follower serves reads and user actions.
        // A command outlives its sender: the next leader re-sends what no device confirmed.
        const leaderAlerting = await attachAlerting(ctx, { notifiers, store: await openPgCaseStore(cluster.pool), bus: false, lead: false, handOverCommands: true });
        alerting = leaderAlerting;
        const rules = attachClusterRules({ cluster, clock, logger, registry, alerting: leaderAlerting, commandAcked: (ack) => broker.commandAcked(ack) });
        ctx.onClose(() => rules.close()); // runs before alerting's own close: stop consuming, then follow
      } else {
        // A pending command outlives a restart as it outlives a leader in cluster mode: a clean
        // stop hands it over rather than recording "not confirmed" (that would settle it and the next
        // start would not send it again, suppressing a valve command for good), and at start every
        // command with no outcome on its case (a SIGTERM's hand-over, or a SIGKILL / power loss
        // mid-send) goes out again with its id. A hub never started again leaves it pending on its
        // case, where the case ledger shows no ack.
        const single = await attachAlerting(ctx, { notifiers, handOverCommands: true });
        alerting = single;
        const resumed = await single.resumeCommands('restart');
        if (resumed > 0) logger.info({ commandsResent: resumed }, 'commands sent before the restart and not confirmed are sent again');
        // so do notifications the stop or kill left neither delivered nor given up (their case still open)
        const owed = await single.resumeNotifications('restart');
        if (owed > 0) logger.info({ notificationsOwed: owed }, 'notifications owed since before the restart are handed to their channels again');
      }
    } else {
      logger.info('alerting is off (alerting.enabled: false): no rules run, no alert cases open');
    }
    const board = attachStatusBoard(ctx);
    if (cluster) {
      // every hub's board hears the devices (and alert changes) of every hub
      const stop = await relayBoard({ hubId: cluster.hubId, bus, board, device: (id) => registry.device(id), pub: cluster.redis('board-pub'), sub: cluster.redis('board-sub'), logger: logger.child({ stage: 'live' }) });
      hooks.push(stop);
    }
    const api = await attachApi(ctx, { board, ...(apiStore ? { store: apiStore } : {}) });
    // cluster mode: room broadcasts reach the panels connected to every hub
    const adapter = cluster ? createAdapter(cluster.redis('io-pub'), cluster.redis('io-sub'), { key: 'gw:io' }) : undefined;
    attachLive(ctx, { board, auth: api.sessions, ...(adapter ? { adapter } : {}) });
    // scheduled reports, their digests sent to the configured channels; the routes are mounted by the API (src/api/routes/reports.ts)
    // cluster: every hub runs the schedule, the first to claim a report's period in PostgreSQL writes and sends it
    attachReports(ctx, { sendDigest: createReportDigestSender(ctx), ...(cluster ? { claims: reportClaims(cluster.pool, cluster.hubId) } : {}) });
    await registerPanel(app); // the live panel at / (dashboards/panel/dist)
    // --- end of stages ---

    // --- listen ---
    // (run in reverse: broker (closes its clients, and from then on records no presence: a hub
    // shutdown is not every device going offline), TCP, WebSocket, then HTTP. The broker is
    // closed before the listeners drop the sockets; the early push only matters when listening
    // fails, a second close is a no-op.)
    stopListening.push(() => app.close());
    stopListening.push(() => broker.close());
    const maxFrame = hardFrameLimit(config.mqtt.maxPacketBytes);
    const ws = attachWebSocket(broker.aedes, app.server, maxFrame);
    stopListening.push(() => ws.close());
    await app.listen({ port: config.http.port, host: config.http.host });
    const addr = app.server.address();
    const httpPort = typeof addr === 'object' && addr ? addr.port : config.http.port;
    const tcp = await listenTcp(broker.aedes, config.mqtt.port, config.mqtt.host, maxFrame);
    stopListening.push(() => tcp.close());
    stopListening.push(() => broker.close());
    logger.info({ mqttPort: tcp.port, httpPort, influxUrl: url }, 'gridwatch hub listening');

    let closing: Promise<void> | undefined;
    return {
      ctx, broker, mqttPort: tcp.port, httpPort, influxUrl: url, influxd, alerting, board,
      close: () => (closing ??= shutdown()),
    };
  } catch (e) {
    await shutdown();
    throw e;
  }
}

/** Creates the database now or, while InfluxDB is down, keeps trying (the writer spools meanwhile). */
async function retryUntilDone(fn: () => Promise<void>, logger: Logger): Promise<{ stop(): void }> {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const handle = {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
  try {
    await fn();
    return handle;
  } catch (e) {
    logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'InfluxDB not ready; the writer spools and database setup is retried');
  }
  const attempt = (delay: number): void => {
    fn().then(() => logger.debug('database ready'), (e: unknown) => {
      if (stopped) return;
      logger.warn({ err: e instanceof Error ? e.message : String(e), retryInMs: delay }, 'InfluxDB not ready; database setup will be retried');
      timer = setTimeout(() => attempt(Math.min(delay * 2, 30_000)), delay);
      timer.unref();
    });
  };
  timer = setTimeout(() => attempt(2000), 1000);
  timer.unref();
  return handle;
}
