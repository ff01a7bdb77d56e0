// The ingest stage's Prometheus metrics, registered on the hub's registry. Device ids are labels
// only when asked for (config metrics.deviceLabels): by default /metrics names no device.
// Per-message counts are plain numbers moved into the counters when /metrics is scraped: a
// prom-client `inc` hashes its labels on every call, which on the hot path cost more than the count.
import { Counter, Histogram, type Registry } from 'prom-client';

/** Counts by one label value, added to `counter` at collection time. */
export interface Tally {
  add(value: string, n?: number): void;
}

export interface IngestMetrics {
  messagesIn: Tally;
  rejected: { inc(labels: { device: string; reason: string }): void };
  accepted: Tally;
  unknownFields: Counter;
  writeSeconds: Histogram;
}

/** A counter with one label whose increments wait in a Map until the registry collects it. */
export function tallied(name: string, help: string, label: string, registers: Registry[]): Tally {
  const pending = new Map<string, number>();
  new Counter({
    name, help, labelNames: [label], registers,
    collect() {
      for (const [value, n] of pending) this.inc({ [label]: value }, n);
      pending.clear();
    },
  });
  return { add: (value, n = 1) => pending.set(value, (pending.get(value) ?? 0) + n) };
}

export function createIngestMetrics(registry: Registry, opts: { deviceLabels?: boolean } = {}): IngestMetrics {
  const registers = [registry];
  const perDevice = opts.deviceLabels === true;
  const rejected = new Counter({ name: 'gridwatch_ingest_rejected_total', help: `Rejected readings and messages, by ${perDevice ? 'device and ' : ''}reason (error code)`, labelNames: perDevice ? ['device', 'reason'] : ['reason'], registers });
  return {
    messagesIn: tallied('gridwatch_mqtt_messages_in_total', 'MQTT messages received from devices, by subtopic', 'topic', registers),
    rejected: { inc: (l) => rejected.inc(perDevice ? l : { reason: l.reason }) },
    accepted: tallied('gridwatch_readings_accepted_total', 'Readings accepted and stored, by kind', 'kind', registers),
    unknownFields: new Counter({ name: 'gridwatch_ingest_unknown_fields_total', help: 'Payload fields no schema knows (ignored)', registers }),
    writeSeconds: new Histogram({ name: 'gridwatch_ingest_durable_seconds', help: 'Time from a message (the first of its batch) to its points being durable (InfluxDB or spool); one observation per write', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
  };
}
