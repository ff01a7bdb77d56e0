// Scheduled report digests to the channels that take them (sendDigest: webhook and the group
// robots). Per channel: route (a morning noise digest keeps only the channel's grids and is not
// sent when none is left) → render → retry (retry.ts) → on give-up a dead letter and an error log.
// No dedup and no case ledger: a digest is sent once per scheduled run.
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { ReportDigest } from '../core/report-digest.js';
import { DEFAULT_BACKOFF, timerSleep, type BackoffPolicy, type Sleep } from './backoff.js';
import { appendDeadLetter } from './dead-letter.js';
import { sendWithRetry, type RetryOutcome } from './retry.js';
import type { Channel, RenderedReport } from './types.js';

export interface DigestDeps {
  clock: Clock;
  logger: Logger;
  render: (d: ReportDigest) => RenderedReport;
  deadLetterPath: string;
  backoff?: BackoffPolicy;
  random?: () => number;
  sleep?: Sleep;
}

export interface DigestSender {
  /** every digest-taking channel's outcome (channels skipped by route are left out) */
  send(d: ReportDigest): Promise<Array<{ channel: string; outcome: RetryOutcome['outcome'] }>>;
  /** abort pending retries and refuse new work (shutdown) */
  close(): void;
}

/** The digest as a channel routed to `grids` sees it; undefined when nothing in it is theirs. */
export function digestFor(d: ReportDigest, grids: readonly string[] | undefined): ReportDigest | undefined {
  if (grids === undefined || d.kind !== 'noise-morning') return d;
  const mine = d.summary.grids.filter((g) => grids.includes(g.grid));
  return mine.length === 0 ? undefined : { ...d, summary: { ...d.summary, grids: mine } };
}

export function createDigestSender(channels: readonly Channel[], deps: DigestDeps): DigestSender {
  const log = deps.logger.child({ digest: true });
  const policy = { backoff: deps.backoff ?? DEFAULT_BACKOFF, random: deps.random ?? Math.random, sleep: deps.sleep ?? timerSleep };
  const stop = new AbortController();

  async function one(channel: Channel, sendDigest: NonNullable<Channel['sendDigest']>, digest: ReportDigest): Promise<RetryOutcome['outcome']> {
    const message = { digest, rendered: deps.render(digest) };
    const clog = log.child({ channel: channel.id, type: channel.type, report: digest.kind, period: digest.period });
    const r = await sendWithRetry(() => sendDigest(message, stop.signal), channel.maxAttempts, stop.signal, policy, (f, attempt, delay) => {
      clog.warn({ attempt, status: f.status, error: f.error, retryInMs: delay }, 'notify: report digest attempt failed, will retry');
    });
    if (r.outcome === 'dead_letter') {
      const error = r.last?.error ?? 'unknown';
      try {
        await appendDeadLetter(deps.deadLetterPath, {
          ts: deps.clock.now(), channel: channel.id, type: channel.type, attempts: r.attempts, error, status: r.last?.status,
          report: { kind: digest.kind, period: digest.period, files: digest.files },
        });
      } catch (e) {
        clog.error({ err: e }, 'notify: dead-letter write failed');
      }
      clog.error({ code: 'GW_ERR_NOTIFY_DELIVERY', attempts: r.attempts, status: r.last?.status, error }, 'notify: report digest failed, dead-lettered');
    } else if (r.outcome === 'delivered') {
      clog.info({ attempts: r.attempts }, 'notify: report digest sent');
    }
    return r.outcome;
  }

  return {
    async send(d) {
      const out: Array<{ channel: string; outcome: RetryOutcome['outcome'] }> = [];
      await Promise.all(channels.map(async (channel) => {
        const sendDigest = channel.sendDigest?.bind(channel);
        const digest = sendDigest && !stop.signal.aborted ? digestFor(d, channel.grids) : undefined;
        if (!sendDigest || !digest) return;
        try {
          out.push({ channel: channel.id, outcome: await one(channel, sendDigest, digest) });
        } catch (e) {
          log.error({ err: e, channel: channel.id }, 'notify: report digest error');
        }
      }));
      return out;
    },
    close() {
      stop.abort();
    },
  };
}
