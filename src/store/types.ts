import type { StorePoint } from '../core/domain.js';

/** Where points go. `write` resolves once the points are durable: in InfluxDB or in the spool. */
export interface PointSink {
  write(points: StorePoint[]): Promise<void>;
}

export interface WriterStats {
  /** points InfluxDB acknowledged (including replayed ones) */
  pointsWritten: number;
  /** points appended to the on-disk spool */
  pointsSpooled: number;
  /** points on disk not yet acknowledged */
  spoolDepth: number;
  /** true while new points go to the spool (InfluxDB down or the spool not yet drained) */
  spooling: boolean;
  /** from the last write attempt, and /ping probes while spooling */
  influxUp: boolean;
  /** ms since epoch of the last write InfluxDB acknowledged; 0 before the first */
  lastWriteMs: number;
}
