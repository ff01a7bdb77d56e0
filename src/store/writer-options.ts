// Options and stats of the InfluxDB writer.
import type { InfluxDB } from 'influx';
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
  /** a client from createInfluxClient() (its pool never benches the host) */
  influx: InfluxDB;
  database: string;
  /** the spool lives in <dataDir>/spool */
  dataDir: string;
  /** config.influx.batchSize (default 5000) */
  batchSize?: number;
  /** config.influx.flushMs (default 100) */
  flushMs?: number;
  /** config.influx.timeoutMs: a POST or ping taking longer counts as failed (default 5000) */
  timeoutMs?: number;
  retry?: RetryOptions;
  /**
   * Points allowed to queue in memory behind a POST in flight (default max(10 x batchSize, 50,000)). Past it the
   * writer stops waiting for that POST and moves it and the queue to the spool: memory stays
   * bounded even when InfluxDB hangs instead of failing.
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
}
