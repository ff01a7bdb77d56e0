// One delivery of a batch to InfluxDB 1.x and what its answer means. Only retryable failures
// (network, timeout, 5xx, and auth / missing database which an operator must fix) are thrown; bad
// points are dropped here so they can never block the points behind them.
import type { StorePoint } from '../core/domain.js';
import { GridwatchError } from '../core/errors.js';
import { InfluxUnansweredError, type CancelToken, type InfluxHttp } from './influx-http.js';
import { encodeBatch, WRITE_PRECISION } from './line-protocol.js';

export type FailureReason = 'network' | 'timeout' | 'stall' | 'overload' | 'server' | 'auth' | 'database' | 'rejected' | 'partial' | 'invalid_point';

export interface DeliverResult {
  /** points InfluxDB accepted */
  written: number;
  /** points InfluxDB refused (type conflict, unparsable, ...) */
  dropped: number;
  posts: number;
  /** one entry per refusal, for logs and metrics */
  refusals: { reason: FailureReason; message: string; points: number }[];
}

export interface DeliverTarget {
  /** the HTTP path; it also watches its writes for a stall (InfluxHttp's `stallMs`) */
  http: InfluxHttp;
  /** a POST unanswered this long fails (timeout), even while InfluxDB answers /ping */
  timeoutMs: number;
  /** observes every POST (duration in seconds, outcome) */
  onPost?: (seconds: number, outcome: 'ok' | FailureReason) => void;
}

/** A failure worth retrying later; the points must be kept (in memory or in the spool). */
export class RetryableWriteError extends GridwatchError {
  constructor(readonly reason: FailureReason, message: string, cause?: unknown) {
    super('GW_ERR_STORE_WRITE', message, { retryable: true, cause, details: { reason } });
    this.name = 'RetryableWriteError';
  }
}

function statusOf(e: unknown): number | undefined {
  const status = (e as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return status;
  const res = (e as { res?: { statusCode?: unknown } } | null)?.res;
  return typeof res?.statusCode === 'number' ? res.statusCode : undefined;
}

/** Classify a failed write (InfluxHttpError, a socket error, or node-influx's RequestError). */
export function classify(e: unknown): { reason: FailureReason; retryable: boolean; message: string } {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof InfluxUnansweredError) return { reason: e.reason, retryable: true, message };
  const status = statusOf(e);
  if (status !== undefined && status >= 400 && status < 500) {
    if (status === 401 || status === 403) return { reason: 'auth', retryable: true, message };
    if (status === 404 || /database not found/i.test(message)) return { reason: 'database', retryable: true, message };
    if (/partial write/i.test(message)) return { reason: 'partial', retryable: false, message };
    return { reason: 'rejected', retryable: false, message };
  }
  if (/timed? ?out/i.test(message)) return { reason: 'timeout', retryable: true, message };
  if (status !== undefined || /ServiceNotAvailable|No host available/i.test(message) || e?.constructor?.name === 'ServiceNotAvailableError') return { reason: 'server', retryable: true, message };
  return { reason: 'network', retryable: true, message };
}

/** `dropped=N` as InfluxDB 1.x reports it in a partial write. */
export function droppedCount(message: string, of: number): number {
  const m = /dropped=(\d+)/.exec(message);
  return m ? Math.min(of, Number(m[1])) : of;
}

async function post(t: DeliverTarget, points: StorePoint[], cancel?: CancelToken): Promise<void> {
  const started = performance.now();
  try {
    await t.http.write(encodeBatch(points), WRITE_PRECISION, t.timeoutMs, cancel);
    t.onPost?.((performance.now() - started) / 1000, 'ok');
  } catch (e) {
    t.onPost?.((performance.now() - started) / 1000, e instanceof RetryableWriteError ? e.reason : classify(e).reason);
    throw e;
  }
}

/**
 * Write `points` in one POST. A 400 that is not a partial write (InfluxDB 1.x writes the good
 * points of a partial write itself) is bisected until the bad points are found and dropped.
 * Throws RetryableWriteError when the batch should be kept and tried again.
 */
export async function deliver(t: DeliverTarget, points: StorePoint[], cancel?: CancelToken): Promise<DeliverResult> {
  const result: DeliverResult = { written: 0, dropped: 0, posts: 0, refusals: [] };
  await deliverInto(t, points, result, cancel);
  return result;
}

async function deliverInto(t: DeliverTarget, points: StorePoint[], result: DeliverResult, cancel?: CancelToken): Promise<void> {
  if (points.length === 0) return;
  result.posts += 1;
  try {
    await post(t, points, cancel);
    result.written += points.length;
    return;
  } catch (e) {
    if (e instanceof RetryableWriteError) throw e;
    const c = classify(e);
    if (c.retryable) throw new RetryableWriteError(c.reason, `InfluxDB write failed (${c.reason}): ${c.message}`, e);
    if (c.reason === 'partial') {
      const dropped = droppedCount(c.message, points.length);
      result.dropped += dropped;
      result.written += points.length - dropped;
      result.refusals.push({ reason: 'partial', message: c.message, points: dropped });
      return;
    }
    if (points.length === 1) {
      result.dropped += 1;
      result.refusals.push({ reason: 'rejected', message: `${c.message} (point ${JSON.stringify(points[0])})`, points: 1 });
      return;
    }
  }
  const mid = Math.ceil(points.length / 2);
  await deliverInto(t, points.slice(0, mid), result, cancel);
  await deliverInto(t, points.slice(mid), result, cancel);
}
