// Options and stats of the InfluxDB writer.
import type { Registry } from 'prom-client';
import type { Logger } from '../core/logger.js';
import type { WriterStats } from './types.js';

export interface RetryOptions {
  /** POST attempts for a batch in direct mode before it goes to the spool (default 3) */
  attempts?: number;
  /** first backoff step (default 100 ms); doubles per failure, with jitter */
  baseMs?: number;
  /** backoff ceiling in direct mode (default 2000 ms) */
  maxMs?: number;
  /** backoff ceiling between replay attempts / pings while spooling (default 5000 ms) */
  replayMaxMs?: number;
}

export interface InfluxWriterOptions {
  /** InfluxDB 1.x base URL, e.g. http://127.0.0.1:8086 (the writer POSTs /write and GETs /ping itself) */
  url: string;
  database: string;
  username?: string;
  password?: string;
  /** the spool lives in <dataDir>/spool */
  dataDir: string;
  /** config.influx.batchSize (default 5000) */
  batchSize?: number;
  /**
   * config.influx.flushMs: an upper bound on how long a point waits before its batch is sent.
   * The writer never waits that long: an idle writer sends at once, a busy one as soon as its POST ends.
   */
  flushMs?: number;
  /**
   * config.influx.postsInFlight: POSTs running at once in direct mode (default 2), so the next
   * batch is encoded and sent while InfluxDB works on the previous one. 1 = strictly one at a time.
   */
  postsInFlight?: number;
  /** config.influx.timeoutMs: a POST or ping unanswered this long counts as failed (default 5000) */
  timeoutMs?: number;
  /**
   * A POST unanswered for stallMs makes the writer ping InfluxDB; no answer within stallMs more
   * means a stall, and the batch goes to the spool at once (default 750: a device waits ~1.5 s).
   * A slow InfluxDB that answers pings is waited for (up to timeoutMs).
   */
  stallMs?: number;
  retry?: RetryOptions;
  /**
   * Points held in memory (queued, or in a POST in flight) before the writer reports itself `saturated`
   * (default 10 x batchSize); it emits 'drain' once half of them are sent. Writes
   * are never refused or spooled for this: the caller (the broker) stops reading devices.
   */
  maxPendingPoints?: number;
  /** spool segment roll size in bytes (default 8 MiB) */
  segmentBytes?: number;
  logger?: Logger;
  /** when given, the writer's metrics are registered here */
  metrics?: Registry;
}

export interface InfluxWriterStats extends WriterStats {
  /** write requests sent to InfluxDB */
  posts: number;
  /** points refused by InfluxDB or invalid before sending */
  pointsDropped: number;
  /** points waiting in memory for their POST */
  pendingPoints: number;
  /** batches being POSTed (or waiting out a retry) in direct mode */
  inflightPosts: number;
  /** more than maxPendingPoints wait: the broker is not reading devices */
  saturated: boolean;
}
