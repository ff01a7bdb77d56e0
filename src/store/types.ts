import type { StorePoint } from '../core/domain.js';

/** Where points go. `write` resolves once the points are durable: in InfluxDB or in the spool. */
export interface PointSink {
  write(points: StorePoint[]): Promise<void>;
}

export interface WriterStats {
  pointsWritten: number;
  pointsSpooled: number;
  spoolDepth: number;
  spooling: boolean;
  influxUp: boolean;
  lastWriteMs: number;
}
