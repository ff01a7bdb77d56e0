// The notify stage's wiring: build one delivery pipeline per configured channel (plus the live
// panel), cancel pending retries when a case is acknowledged/resolved/closed, and stop on shutdown;
// and the scheduled reports' digest sender over the same channels.
import { hostname } from 'node:os';
import { Counter } from 'prom-client';
import type { AlertCase, Notification } from '../core/alert-types.js';
import type { SendDigest } from '../core/report-digest.js';
import type { Config } from '../config/schema.js';
import type { HubContext } from '../hub/context.js';
import type { BackoffPolicy, Sleep } from './backoff.js';
import { liveChannel } from './channels/live.js';
import { deadLetterPath } from './dead-letter.js';
import { createDigestSender } from './digest.js';
import { createDeliveryPipeline, type DeliveryNotifier } from './pipeline.js';
import { buildChannel } from './registry.js';
import { chooseLang, render, type PlaceNames } from './render.js';
import { renderReport } from './render-report.js';
import type { RecordFn, RenderedMessage } from './types.js';

export type NotifyContext = Pick<HubContext, 'config' | 'site' | 'bus' | 'clock' | 'logger' | 'dataDir' | 'metrics' | 'commands' | 'onClose'>;

export interface NotifyOptions {
  /** tests: fast retries */
  backoff?: BackoffPolicy;
  sleep?: Sleep;
  random?: () => number;
  env?: NodeJS.ProcessEnv;
  /** include the live-panel channel (default true) */
  live?: boolean;
  timeoutMs?: number;
}

/** Where ack links point: http.publicUrl, else this host's name and the HTTP port. */
export function publicBaseUrl(config: Config, host = hostname()): string {
  if (config.http.publicUrl) return config.http.publicUrl;
  const h = config.http.host === '0.0.0.0' || config.http.host === '::' || config.http.host === '' ? host : config.http.host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${config.http.port}`;
}

function placeNames(ctx: NotifyContext, c: AlertCase): Partial<PlaceNames> {
  return {
    street: ctx.site.streets.get(c.street)?.name,
    community: ctx.site.communities.get(c.community)?.name,
    grid: ctx.site.grids.get(c.grid)?.name,
    building: ctx.site.buildings.get(c.building)?.name,
  };
}

const CANCELLING = new Set(['acknowledged', 'resolved', 'closed']);

/**
 * One notifier per configured channel (plus the live panel). `record` is the case ledger; when
 * omitted, each notification's own `ledger.record` is used. Throws ValidationError for a channel
 * that cannot be built (missing url, devices or env secret).
 */
export function createNotifiers(ctx: NotifyContext, record?: RecordFn, opts: NotifyOptions = {}): DeliveryNotifier[] {
  const logger = ctx.logger.child({ stage: 'notify' });
  const baseUrl = publicBaseUrl(ctx.config);
  const renderFor = (n: Notification): RenderedMessage =>
    render(n, { lang: chooseLang(n.recipients), baseUrl, place: placeNames(ctx, n.case), timezone: ctx.config.timezone });
  const outcomes = (ctx.metrics.getSingleMetric('gridwatch_notify_deliveries_total') as Counter<'channel' | 'outcome'> | undefined)
    ?? new Counter({ name: 'gridwatch_notify_deliveries_total', help: 'Notification deliveries by channel and outcome', labelNames: ['channel', 'outcome'], registers: [ctx.metrics] });

  const channels = ctx.config.channels.map((cfg, i) =>
    buildChannel(cfg, `/channels/${i}`, { clock: ctx.clock, commands: ctx.commands, env: opts.env, timeoutMs: opts.timeoutMs }));
  if (opts.live !== false) channels.push(liveChannel(ctx.bus));

  const notifiers = channels.map((channel) => createDeliveryPipeline(channel, {
    clock: ctx.clock,
    logger,
    record,
    render: renderFor,
    deadLetterPath: deadLetterPath(ctx.dataDir),
    backoff: opts.backoff,
    sleep: opts.sleep,
    random: opts.random,
    onOutcome: (channel, outcome) => outcomes.inc({ channel, outcome }),
  }));

  // An acknowledgement cancels every pending notification at once (lessons.md, grafana oncall #4654),
  // even where the alerting stage does not call cancel() itself.
  const onAlert = ({ case: c, entry }: { case: AlertCase; entry: { action: string } }): void => {
    if (CANCELLING.has(entry.action)) for (const n of notifiers) n.cancel(c.id);
  };
  ctx.bus.on('alert', onAlert);
  ctx.onClose(() => {
    ctx.bus.off('alert', onAlert);
    for (const n of notifiers) n.close();
  });
  logger.info({ channels: channels.map((c) => ({ id: c.id, type: c.type })) }, 'notify: channels ready');
  return notifiers;
}

/**
 * The scheduled reports' digest sender (attachReports(ctx, { sendDigest })): the configured
 * channels that take digests (not sirens, not the live panel), in Chinese, with retries and dead
 * letters like alerts. Stops pending retries on shutdown.
 */
export function createReportDigestSender(ctx: NotifyContext, opts: NotifyOptions = {}): SendDigest {
  const baseUrl = publicBaseUrl(ctx.config);
  const channels = ctx.config.channels.map((cfg, i) =>
    buildChannel(cfg, `/channels/${i}`, { clock: ctx.clock, commands: ctx.commands, env: opts.env, timeoutMs: opts.timeoutMs }));
  const sender = createDigestSender(channels, {
    clock: ctx.clock,
    logger: ctx.logger.child({ stage: 'notify' }),
    render: (d) => renderReport(d, { lang: 'zh', baseUrl }),
    deadLetterPath: deadLetterPath(ctx.dataDir),
    backoff: opts.backoff,
    sleep: opts.sleep,
    random: opts.random,
  });
  ctx.onClose(() => sender.close());
  return async (d) => {
    await sender.send(d);
  };
}
