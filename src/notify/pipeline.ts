// Delivery for one channel as an ordered list of stages, the Alertmanager way:
// mute -> dedup -> retry -> record. Only the retry stage retries; the channel only answers
// { ok } or { ok: false, retryable }. An acknowledgement (cancel) stops pending retries at once.
import type { Notification, Notifier } from '../core/alert-types.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { DEFAULT_BACKOFF, timerSleep, type BackoffPolicy, type Sleep } from './backoff.js';
import { appendDeadLetter, deadLetterOf } from './dead-letter.js';
import { sendWithRetry, type Failure, type RetryPolicy } from './retry.js';
import { AckMuter, Deduper, dedupKey, routeMuter, type Muter } from './stages.js';
import type { Channel, OutboundMessage, RecordFn, RenderedMessage } from './types.js';

export type Outcome = 'delivered' | 'dead_letter' | 'cancelled' | 'muted' | 'duplicate';

export interface PipelineDeps {
  clock: Clock;
  logger: Logger;
  /** the alerting stage's ledger; omitted: each notification's own `ledger.record` */
  record?: RecordFn;
  render: (n: Notification) => RenderedMessage;
  deadLetterPath: string;
  backoff?: BackoffPolicy;
  /** [0, 1); jitter source */
  random?: () => number;
  sleep?: Sleep;
  /** extra muters after the route and acknowledgement muters (e.g. silences) */
  muters?: Muter[];
  dedupWindowMs?: number;
  onOutcome?: (channel: string, outcome: Outcome) => void;
}

export interface DeliveryNotifier extends Notifier {
  /** the channel id */
  readonly id: string;
  /** stop pending retries for a case at once and mute stale notifications for it (acknowledged) */
  cancel(caseId: string): void;
  /** the same as notify, answering what became of it (tests, the CLI) */
  deliver(n: Notification): Promise<Outcome>;
  /**
   * a notification the case ledger shows was never delivered nor given up on this channel (a start
   * after a stop or kill, a new rules leader): delivered like any other, its records marked `resumed`
   */
  resume(n: Notification, reason: 'restart' | 'takeover'): Promise<Outcome>;
  /**
   * this hub stopped leading the rules (cluster mode): abort everything pending, recording nothing,
   * so the new leader's resume delivers them once; new work is still taken (this hub may lead again)
   */
  handOver(): void;
  /** abort everything pending and refuse new work (shutdown): nothing is recorded for them, the next start resumes them */
  close(): void;
}

interface Delivery {
  n: Notification;
  key: string;
  signal: AbortSignal;
  attempts: number;
  last?: Failure;
  outcome?: Outcome;
  resumed?: 'restart' | 'takeover';
}

type Stage = (d: Delivery) => Promise<void> | void;

export function createDeliveryPipeline(channel: Channel, deps: PipelineDeps): DeliveryNotifier {
  const log = deps.logger.child({ channel: channel.id, type: channel.type });
  const retryPolicy: RetryPolicy = { backoff: deps.backoff ?? DEFAULT_BACKOFF, random: deps.random ?? Math.random, sleep: deps.sleep ?? timerSleep };
  const acks = new AckMuter();
  const muters: Muter[] = [routeMuter, acks, ...(deps.muters ?? [])];
  const dedup = new Deduper(deps.dedupWindowMs ?? 60 * 60_000);
  const pending = new Map<string, Set<AbortController>>();
  let closed = false;

  // every record names the ledger entry (seq), step and reason it is about: a start or a new
  // rules leader delivers again what has neither `notified` nor a final `delivery_failed` (alerts/owed.ts)
  const safeRecord = async (d: Delivery, action: 'notified' | 'delivery_failed', data: Record<string, unknown>): Promise<void> => {
    const { n } = d;
    const caseId = n.case.id;
    const full = { channel: channel.id, type: channel.type, entry: n.entry.seq, step: n.step, reason: n.reason, ...data, ...(d.resumed ? { resumed: d.resumed } : {}) };
    try {
      await (deps.record ? deps.record(caseId, action, full) : n.ledger.record(caseId, action, full));
    } catch (e) {
      log.error({ err: e, caseId, action }, 'notify: ledger record failed');
    }
  };

  const mute: Stage = (d) => {
    for (const m of muters) {
      const why = m.muted(d.n, channel);
      if (why !== undefined) {
        log.debug({ caseId: d.n.case.id, muter: m.name, why }, 'notify: muted');
        d.outcome = 'muted';
        return;
      }
    }
  };

  const dedupStage: Stage = (d) => {
    if (!dedup.claim(d.key, deps.clock.now())) d.outcome = 'duplicate';
  };

  const retry: Stage = async (d) => {
    if (d.resumed) log.info({ caseId: d.n.case.id, entry: d.n.entry.seq, step: d.n.step, reason: d.n.reason, resumed: d.resumed }, 'notify: delivering again what the ledger shows was never delivered nor given up');
    const message: OutboundMessage = { notification: d.n, rendered: deps.render(d.n) };
    const r = await sendWithRetry(() => channel.send(message, d.signal), channel.maxAttempts, d.signal, retryPolicy, async (failure, attempt, delay) => {
      await safeRecord(d, 'delivery_failed', {
        attempt, maxAttempts: channel.maxAttempts, retryable: true, status: failure.status, error: failure.error, final: false, retryInMs: delay,
      });
      log.warn({ caseId: d.n.case.id, attempt, status: failure.status, error: failure.error, retryInMs: delay }, 'notify: attempt failed, will retry');
    });
    d.attempts = r.attempts;
    d.last = r.last;
    d.outcome = r.outcome;
  };

  const record: Stage = async (d) => {
    const { n } = d;
    if (d.outcome !== 'delivered') dedup.release(d.key);
    if (d.outcome === 'delivered') {
      await safeRecord(d, 'notified', { attempt: d.attempts, recipients: n.recipients.map((r) => r.id) });
    } else if (d.outcome === 'dead_letter') {
      const error = d.last?.error ?? 'unknown';
      try {
        await appendDeadLetter(deps.deadLetterPath, deadLetterOf(n, { ts: deps.clock.now(), channel: channel.id, type: channel.type, attempts: d.attempts, error, status: d.last?.status }));
      } catch (e) {
        log.error({ err: e, caseId: n.case.id }, 'notify: dead-letter write failed');
      }
      await safeRecord(d, 'delivery_failed', {
        code: 'GW_ERR_NOTIFY_DELIVERY', attempt: d.attempts, maxAttempts: channel.maxAttempts, retryable: d.last?.retryable ?? false, status: d.last?.status, error, final: true, deadLetter: true,
      });
      log.error({ code: 'GW_ERR_NOTIFY_DELIVERY', caseId: n.case.id, attempts: d.attempts, status: d.last?.status, error }, 'notify: delivery failed, dead-lettered');
    } else if (d.outcome === 'cancelled') {
      log.info({ caseId: n.case.id, attempts: d.attempts }, 'notify: pending delivery cancelled');
    }
    deps.onOutcome?.(channel.id, d.outcome ?? 'delivered');
  };

  const stages: Stage[] = [mute, dedupStage, retry];

  async function deliver(n: Notification, resumed?: 'restart' | 'takeover'): Promise<Outcome> {
    if (closed) return 'cancelled';
    const ac = new AbortController();
    let set = pending.get(n.case.id);
    if (!set) pending.set(n.case.id, (set = new Set()));
    set.add(ac);
    const d: Delivery = { n, key: dedupKey(n), signal: ac.signal, attempts: 0, ...(resumed ? { resumed } : {}) };
    try {
      for (const stage of stages) {
        await stage(d);
        if (d.outcome !== undefined) break;
      }
      if (d.outcome === 'muted' || d.outcome === 'duplicate') {
        deps.onOutcome?.(channel.id, d.outcome);
        return d.outcome;
      }
      await record(d);
      return d.outcome ?? 'delivered';
    } catch (e) {
      dedup.release(d.key); // e.g. rendering threw: let a later try through
      throw e;
    } finally {
      set.delete(ac);
      if (set.size === 0 && pending.get(n.case.id) === set) pending.delete(n.case.id);
    }
  }

  // an aborted delivery ends `cancelled`: no delivery_failed, no dead letter, its dedup key released
  const abortAll = (): void => {
    for (const set of pending.values()) for (const ac of set) ac.abort();
  };

  return {
    id: channel.id,
    deliver: (n) => deliver(n),
    resume: (n, reason) => deliver(n, reason),
    async notify(n) {
      try {
        await deliver(n);
      } catch (e) {
        log.error({ err: e, caseId: n.case.id }, 'notify: pipeline error');
      }
    },
    cancel(caseId) {
      const now = deps.clock.now();
      acks.mark(caseId, now);
      acks.prune(now - 24 * 3600_000);
      for (const ac of pending.get(caseId) ?? []) ac.abort();
    },
    handOver() {
      abortAll();
    },
    close() {
      closed = true;
      abortAll();
    },
  };
}
