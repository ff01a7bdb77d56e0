// The batching InfluxDB writer. write() resolves only once its points are durable: InfluxDB
// answered 204 for a batch holding them, or they are appended and fsync'd to the on-disk spool.
//
// Direct mode (group commit): up to `postsInFlight` POSTs (default 2) run at once. A write that
// finds a free slot is sent at once (with whatever else arrived in the same tick); writes that
// arrive while every slot is busy gather into the next batch (up to batchSize), sent as soon as a
// POST ends. Two in flight let the hub encode and send the next batch while InfluxDB works on the
// previous one, instead of idling on its answer.
//
// Why two batches may land in either order: InfluxDB keys a point by measurement + tag set +
// timestamp, and a write of the same key overwrites it. Readings of one device never share a key
// (ingest gives same-millisecond readings distinct `ns`), and a re-sent reading is the same point
// with the same values, so the order in which two batches of readings land changes nothing. That
// is not so for `presence` (a disconnect and the next connect of a device can share a millisecond:
// the later must win) and `alert` (two transitions of one case in one millisecond): a batch holding
// such points is never in flight together with another one holding such points, so those land in
// write order. (Across measurements keys never collide, so readings overlap with them freely.)
//
// Load is not an outage: when InfluxDB answers but more slowly than points arrive, the queue
// grows and write() promises simply stay pending (the broker holds PUBACKs). Past
// maxPendingPoints held (queued or in flight) the writer says it is `saturated` (event 'saturated'), and 'drain' once the
// queue is down to half: the broker stops reading device sockets meanwhile, so memory stays
// bounded under a QoS 0 flood too. The spool is only for InfluxDB unreachable or failing:
// network errors, 5xx, timeouts, and a stall (a POST pending while /ping gets no answer either:
// SIGSTOP, a hung disk), which goes to the spool at once so a device waits ~2.5 x stallMs at most.
//
// A failed POST is retried with exponential backoff + jitter; when the retries run out the batch,
// the other batches still in flight (given up on: cancelled, never resolved from InfluxDB's answer)
// and everything queued behind them go to the spool, in write order, and the writer enters spool mode:
// every new write is appended to the spool after what is there, and a replay loop streams the
// oldest segment to InfluxDB, deleting a segment only when all its points are acknowledged.
// Between failed attempts it probes /ping. When the spool is drained it goes back to direct mode.
// On open, a spool left by an earlier run (even after SIGKILL) is replayed.
//
// Replay is at-least-once: a batch that landed but whose answer was lost, or a segment whose last
// batches landed just before a crash, is sent again. InfluxDB overwrites a point with the same
// measurement + tag set + timestamp (the fields are merged, same values), so a repeat never
// creates a duplicate row; we rely on that instead of keeping acknowledgement offsets.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { StorePoint } from '../core/domain.js';
import { GridwatchError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { backoffDelay, Sleeper } from './backoff.js';
import { CancelToken, InfluxHttp } from './influx-http.js';
import { deliver, RetryableWriteError, type DeliverResult, type DeliverTarget } from './deliver.js';
import { ALERT_MEASUREMENT, isVouched, pointProblem, PRESENCE_MEASUREMENT } from './points.js';
import { Spool } from './spool.js';
import type { PointSink } from './types.js';
import type { InfluxWriterOptions, InfluxWriterStats, RetryOptions } from './writer-options.js';
import { createWriterMetrics, type WriterMetrics } from './writer-metrics.js';

export type { InfluxWriterOptions, InfluxWriterStats, RetryOptions } from './writer-options.js';

interface Waiter {
  points: StorePoint[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** A batch in flight: owned by its POST loop while it is in `inflight`, else by the spool. */
interface Batch {
  waiters: Waiter[];
  points: number;
  /** holds presence or alert points: lands in write order with the others that do */
  ordered: boolean;
  /** given up on (cancelled) when another batch sends the writer to the spool */
  cancel: CancelToken;
}

/** Points whose key (measurement + tags + time) two different writes may share: kept in order. */
const ORDERED = new Set([PRESENCE_MEASUREMENT, ALERT_MEASUREMENT]);

export class InfluxWriter extends EventEmitter<{ saturated: []; drain: [] }> implements PointSink {
  private readonly target: DeliverTarget;
  private readonly batchSize: number;
  private readonly maxPending: number;
  private readonly postsInFlight: number;
  private readonly retry: Required<RetryOptions>;
  private readonly log: Logger;
  private readonly m: WriterMetrics | undefined;
  private mode: 'direct' | 'spool' = 'direct';
  private pending: Waiter[] = [];
  private pendingPoints = 0;
  /** points in the batches in flight: they count towards maxPendingPoints too (memory held) */
  private inflightPoints = 0;
  private kickScheduled = false;
  private isSaturated = false;
  /** batches in flight, in send (= write) order */
  private readonly inflight = new Set<Batch>();
  /** their POST loops, for close() */
  private readonly running = new Set<Promise<void>>();
  private replaying: Promise<void> | undefined;
  private readonly sleeper = new Sleeper();
  private closing = false;
  private stopped = false;
  private closed: Promise<void> | undefined;
  private readonly s = { pointsWritten: 0, pointsSpooled: 0, pointsDropped: 0, posts: 0, influxUp: true, lastWriteMs: 0 };

  private constructor(private readonly spool: Spool, opts: InfluxWriterOptions) {
    super();
    this.batchSize = opts.batchSize ?? 5000;
    this.maxPending = opts.maxPendingPoints ?? 10 * this.batchSize;
    this.postsInFlight = Math.max(1, opts.postsInFlight ?? 2);
    this.retry = { attempts: 3, baseMs: 100, maxMs: 2000, replayMaxMs: 5000, ...opts.retry };
    this.log = (opts.logger ?? silentLogger()).child({ stage: 'store' });
    this.m = opts.metrics ? createWriterMetrics(opts.metrics, () => this.spool.depth) : undefined;
    this.target = {
      http: new InfluxHttp({ url: opts.url, database: opts.database, username: opts.username, password: opts.password, stallMs: opts.stallMs ?? 750, maxWrites: this.postsInFlight }),
      timeoutMs: opts.timeoutMs ?? 5000,
      onPost: (seconds, outcome) => {
        this.s.posts += 1;
        this.m?.latency.observe({ outcome }, seconds);
        if (outcome !== 'ok') this.m?.errors.inc({ reason: outcome });
      },
    };
  }

  /** Open the spool in <dataDir>/spool and, if it holds points from an earlier run, replay them. */
  static async open(opts: InfluxWriterOptions): Promise<InfluxWriter> {
    const spool = await Spool.open({ dir: join(opts.dataDir, 'spool'), segmentBytes: opts.segmentBytes });
    const w = new InfluxWriter(spool, opts);
    if (spool.depth > 0) {
      w.log.info({ points: spool.depth, segments: spool.segments().length }, 'replaying the spool left by an earlier run');
      w.mode = 'spool';
      w.startReplay();
    }
    return w;
  }

  write(points: StorePoint[]): Promise<void> {
    if (this.closing) return Promise.reject(new GridwatchError('GW_ERR_STORE_WRITE', 'the InfluxDB writer is closed'));
    const good = this.screen(points);
    if (good.length === 0) return Promise.resolve();
    if (this.mode === 'spool') return this.toSpool(good);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ points: good, resolve, reject });
      this.pendingPoints += good.length;
      this.checkPressure();
      // A free slot: send at once, after this tick's other writes joined. Busy: a POST's end sends it.
      if (this.inflight.size < this.postsInFlight && !this.kickScheduled) {
        this.kickScheduled = true;
        setImmediate(() => {
          this.kickScheduled = false;
          this.kick();
        });
      }
    });
  }

  /** True while more than maxPendingPoints wait in memory: stop reading devices until 'drain'. */
  get saturated(): boolean {
    return this.isSaturated;
  }

  private checkPressure(): void {
    const held = this.pendingPoints + this.inflightPoints;
    if (!this.isSaturated && held >= this.maxPending) {
      this.isSaturated = true;
      this.log.info({ pendingPoints: this.pendingPoints, inflightPoints: this.inflightPoints }, 'InfluxDB is slower than the devices: holding writes (backpressure)');
      this.emit('saturated');
    } else if (this.isSaturated && held <= this.maxPending / 2) {
      this.isSaturated = false;
      this.emit('drain');
    }
  }

  stats(): InfluxWriterStats {
    return { ...this.s, spoolDepth: this.spool.depth, spooling: this.mode === 'spool', pendingPoints: this.pendingPoints, inflightPosts: this.inflight.size, saturated: this.isSaturated };
  }

  /** Flush everything (to InfluxDB or the spool), stop the replay loop and timers. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    this.sleeper.wakeAll(); // a batch waiting out a backoff retries now (and spools if that fails)
    while (this.mode === 'direct' && (this.pending.length > 0 || this.inflight.size > 0)) {
      this.kick();
      await (this.running.size > 0 ? Promise.race(this.running) : new Promise((r) => setImmediate(r)));
    }
    await this.spool.settle();
    this.stopped = true;
    this.sleeper.wakeAll();
    await this.replaying;
    await this.spool.close();
    this.target.http.close();
  }

  /** Invalid points can never be written: drop them (logged, counted) so they block nothing. */
  private screen(points: StorePoint[]): StorePoint[] {
    if (isVouched(points)) return points; // built from validated readings: checked there (points.ts)
    const good: StorePoint[] = [];
    for (const p of points) {
      const problem = pointProblem(p);
      if (problem === undefined) good.push(p);
      else {
        this.s.pointsDropped += 1;
        this.m?.dropped.inc({ reason: 'invalid_point' });
        this.log.warn({ measurement: p.measurement, tags: p.tags, reason: problem }, 'dropped a point that cannot be written');
      }
    }
    return good;
  }

  /** Start POSTs while a slot is free: each takes the oldest pending writes, up to batchSize points. */
  private kick(): void {
    while (this.mode === 'direct' && this.pending.length > 0 && this.inflight.size < this.postsInFlight) {
      let k = 0;
      let n = 0;
      let ordered = false;
      for (const w of this.pending) {
        if (n > 0 && n + w.points.length > this.batchSize) break;
        n += w.points.length;
        k += 1;
        // a vouched batch holds readings only (points.ts): no need to look at each point
        if (!ordered && !isVouched(w.points)) for (const p of w.points) if (ORDERED.has(p.measurement)) ordered = true;
      }
      // FIFO: the next batch waits (rather than letting later writes overtake it) for its turn.
      if (ordered && this.orderedInFlight()) return;
      const batch: Batch = { waiters: this.pending.splice(0, k), points: n, ordered, cancel: new CancelToken() };
      this.pendingPoints -= n;
      this.inflightPoints += n;
      this.inflight.add(batch);
      const run = this.sendDirect(batch)
        .catch((e: unknown) => {
          // not a delivery failure (those are retried or spooled): a bug; the callers must hear of it
          this.log.error({ err: e }, 'InfluxDB writer failed a batch');
          if (this.release(batch)) for (const w of batch.waiters) w.reject(e);
        })
        .finally(() => {
          this.running.delete(run);
          // What gathered during the POST goes next, at once: adaptive batching.
          this.kick();
        });
      this.running.add(run);
    }
  }

  /** The batch leaves `inflight` (its POST loop answers for it no more); false if it already had. */
  private release(batch: Batch): boolean {
    if (!this.inflight.delete(batch)) return false;
    this.inflightPoints -= batch.points;
    this.checkPressure();
    return true;
  }

  private orderedInFlight(): boolean {
    for (const b of this.inflight) if (b.ordered) return true;
    return false;
  }

  /** POST a batch, retrying; resolve its writes only while the batch is still ours (in `inflight`). */
  private async sendDirect(batch: Batch): Promise<void> {
    const points = batch.waiters.length === 1 ? (batch.waiters[0] as Waiter).points : batch.waiters.flatMap((w) => w.points);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await deliver(this.target, points, batch.cancel);
        // Taken over by the spool meanwhile: its writes resolve once spooled (the points may land
        // twice: an overwrite of the same point).
        if (!this.release(batch)) return;
        this.delivered(result);
        for (const w of batch.waiters) w.resolve();
        return;
      } catch (e) {
        if (!this.inflight.has(batch)) return;
        this.markDown(e);
        // a stalled InfluxDB would stall the retry too: spool now, the replay loop probes /ping
        const stalled = e instanceof RetryableWriteError && e.reason === 'stall';
        if (stalled || attempt >= this.retry.attempts || this.closing) {
          this.enterSpoolMode();
          return;
        }
        await this.sleep(this.backoff(attempt, this.retry.maxMs));
        if (!this.inflight.has(batch)) return;
      }
    }
  }

  /**
   * A batch failed for good: it, every other batch in flight (given up on) and everything queued
   * go to the spool in write order, and new writes follow them there. Each write resolves once,
   * from the spool: a batch leaves `inflight` here, so its POST loop no longer answers for it.
   */
  private enterSpoolMode(): void {
    this.mode = 'spool';
    const given = [...this.inflight];
    this.inflight.clear();
    this.inflightPoints = 0;
    const gaveUp = new RetryableWriteError('overload', 'another batch failed: this one goes to the spool with it');
    for (const b of given) b.cancel.cancel(gaveUp);
    this.sleeper.wakeAll(); // a given-up batch waiting out a backoff ends now
    const waiters = given.flatMap((b) => b.waiters).concat(this.pending);
    this.pending = [];
    this.pendingPoints = 0;
    this.checkPressure();
    for (const w of waiters) this.toSpool(w.points).then(w.resolve, w.reject);
    this.log.warn({ points: waiters.reduce((n, w) => n + w.points.length, 0) }, 'InfluxDB unavailable: spooling points to disk');
    this.startReplay();
  }

  private toSpool(points: StorePoint[]): Promise<void> {
    return this.spool.append(points).then(() => {
      this.s.pointsSpooled += points.length;
      this.m?.spooled.inc(points.length);
    });
  }

  private startReplay(): void {
    if (this.replaying) return;
    const run = (async () => {
      for (let failures = 1; !this.stopped; failures++) {
        try {
          await this.replayLoop();
          return;
        } catch (e) {
          // e.g. a segment file removed by hand: log, back off, start again from the oldest segment
          this.log.error({ err: e }, 'spool replay failed; retrying');
          await this.sleep(this.backoff(failures, this.retry.replayMaxMs));
        }
      }
    })();
    this.replaying = run;
    void run.finally(() => {
      if (this.replaying === run) this.replaying = undefined;
    });
  }

  private async replayLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const seg = await this.spool.oldest();
      if (!seg) {
        if (this.spool.isEmpty()) {
          this.mode = 'direct';
          this.replaying = undefined; // a failure from now on starts a new replay loop
          this.log.info('spool drained: writing to InfluxDB directly again');
          return;
        }
        await this.spool.settle();
        continue;
      }
      const badLine = (line: string): void => this.log.warn({ segment: seg.name, line: line.slice(0, 200) }, 'skipped an unreadable spool line');
      for await (const read of this.spool.read(seg, this.batchSize, badLine)) {
        const batch = this.screen(read);
        while (batch.length > 0) {
          if (this.stopped) return;
          try {
            this.delivered(await deliver(this.target, batch));
            failures = 0;
            break;
          } catch (e) {
            this.markDown(e);
            failures = await this.waitForInflux(failures + 1);
          }
        }
      }
      if (this.stopped) return;
      await this.spool.remove(seg);
    }
  }

  /** Back off, then probe /ping until InfluxDB answers (or the writer stops). */
  private async waitForInflux(failures: number): Promise<number> {
    for (let n = failures; !this.stopped; n++) {
      await this.sleep(this.backoff(n, this.retry.replayMaxMs));
      if (this.stopped) break;
      if (await this.target.http.ping(this.target.timeoutMs)) return n;
    }
    return failures;
  }

  private delivered(r: DeliverResult): void {
    this.s.pointsWritten += r.written;
    this.s.pointsDropped += r.dropped;
    this.m?.written.inc(r.written);
    for (const refusal of r.refusals) {
      this.m?.dropped.inc({ reason: refusal.reason }, refusal.points);
      this.log.warn({ reason: refusal.reason, points: refusal.points, detail: refusal.message.slice(0, 500) }, 'InfluxDB refused points; dropped them');
    }
    if (!this.s.influxUp) this.log.info('InfluxDB answers again');
    this.s.influxUp = true;
    this.s.lastWriteMs = Date.now();
  }

  private markDown(e: unknown): void {
    const reason = e instanceof RetryableWriteError ? e.reason : 'network';
    const err = e instanceof Error ? e.message : String(e);
    if (this.s.influxUp) this.log.warn({ reason, err }, 'InfluxDB write failed');
    else this.log.debug({ reason, err }, 'InfluxDB write failed again');
    this.s.influxUp = false;
  }

  private backoff(n: number, cap: number): number {
    return backoffDelay(n, this.retry.baseMs, cap);
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleeper.sleep(ms, signal);
  }
}
