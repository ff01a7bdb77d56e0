// The ingest stage's Prometheus metrics, registered on the hub's registry. Device ids are labels
// only when asked for (config metrics.deviceLabels): by default /metrics names no device.
import { Counter, Histogram, type Registry } from 'prom-client';

export interface IngestMetrics {
  messagesIn: Counter<'topic'>;
  rejected: { inc(labels: { device: string; reason: string }): void };
  accepted: Counter<'kind'>;
  unknownFields: Counter;
  writeSeconds: Histogram;
}

export function createIngestMetrics(registry: Registry, opts: { deviceLabels?: boolean } = {}): IngestMetrics {
  const registers = [registry];
  const perDevice = opts.deviceLabels === true;
  const rejected = new Counter({ name: 'gridwatch_ingest_rejected_total', help: `Rejected readings and messages, by ${perDevice ? 'device and ' : ''}reason (error code)`, labelNames: perDevice ? ['device', 'reason'] : ['reason'], registers });
  return {
    messagesIn: new Counter({ name: 'gridwatch_mqtt_messages_in_total', help: 'MQTT messages received from devices, by subtopic', labelNames: ['topic'], registers }),
    rejected: { inc: (l) => rejected.inc(perDevice ? l : { reason: l.reason }) },
    accepted: new Counter({ name: 'gridwatch_readings_accepted_total', help: 'Readings accepted and stored, by kind', labelNames: ['kind'], registers }),
    unknownFields: new Counter({ name: 'gridwatch_ingest_unknown_fields_total', help: 'Payload fields no schema knows (ignored)', registers }),
    writeSeconds: new Histogram({ name: 'gridwatch_ingest_durable_seconds', help: 'Time from a message to its points being durable (InfluxDB or spool)', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
  };
}
