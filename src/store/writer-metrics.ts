// prom-client metrics of the InfluxDB writer (only when the hub passes a Registry).
import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client';

export interface WriterMetrics {
  written: Counter;
  spooled: Counter;
  dropped: Counter<'reason'>;
  errors: Counter<'reason'>;
  spoolDepth: Gauge;
  latency: Histogram<'outcome'>;
}

/** The spool the depth gauge reads: the latest writer registered on it. */
const depthSource = new WeakMap<Gauge, () => number>();

/** A writer opened again on the same registry (a restart in-process) reuses the metrics. */
function once<T extends Metric>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function createWriterMetrics(registry: Registry, spoolDepth: () => number): WriterMetrics {
  const registers = [registry];
  const metrics: WriterMetrics = {
    written: once(registry, 'gridwatch_store_points_written_total', () => new Counter({ name: 'gridwatch_store_points_written_total', help: 'Points acknowledged by InfluxDB', registers })),
    spooled: once(registry, 'gridwatch_store_points_spooled_total', () => new Counter({ name: 'gridwatch_store_points_spooled_total', help: 'Points appended to the on-disk spool', registers })),
    dropped: once(registry, 'gridwatch_store_points_dropped_total', () => new Counter({ name: 'gridwatch_store_points_dropped_total', help: 'Points refused by InfluxDB or invalid, dropped', labelNames: ['reason'] as const, registers })),
    errors: once(registry, 'gridwatch_store_write_errors_total', () => new Counter({ name: 'gridwatch_store_write_errors_total', help: 'Failed InfluxDB write requests by reason', labelNames: ['reason'] as const, registers })),
    spoolDepth: once(registry, 'gridwatch_store_spool_depth_points', () =>
      new Gauge({
        name: 'gridwatch_store_spool_depth_points',
        help: 'Points in the on-disk spool not yet acknowledged by InfluxDB',
        registers,
        collect() {
          this.set(depthSource.get(this)?.() ?? 0);
        },
      }),
    ),
    latency: once(registry, 'gridwatch_store_write_duration_seconds', () =>
      new Histogram({
        name: 'gridwatch_store_write_duration_seconds',
        help: 'Duration of InfluxDB write requests',
        labelNames: ['outcome'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
    ),
  };
  depthSource.set(metrics.spoolDepth, spoolDepth);
  return metrics;
}
