// The hub's own HTTP routes: /healthz (broker up, InfluxDB up, spool depth -> 200 or 503 JSON)
// and /metrics (Prometheus text format from the hub's prom-client registry).
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { WriterStats } from '../store/types.js';

export interface HealthSources {
  brokerUp(): boolean;
  connectedDevices(): number;
  writer: { stats(): WriterStats };
}

export interface Health {
  ok: boolean;
  broker: { up: boolean; connectedDevices: number };
  influx: { up: boolean; spooling: boolean; spoolDepth: number; pointsWritten: number; lastWriteMs: number };
}

/** Healthy when the broker runs and InfluxDB answers; a spooling writer is degraded (503). */
export function health(src: HealthSources): Health {
  const s = src.writer.stats();
  const up = src.brokerUp();
  return {
    ok: up && s.influxUp && !s.spooling,
    broker: { up, connectedDevices: src.connectedDevices() },
    influx: { up: s.influxUp, spooling: s.spooling, spoolDepth: s.spoolDepth, pointsWritten: s.pointsWritten, lastWriteMs: s.lastWriteMs },
  };
}

export function registerHubRoutes(app: FastifyInstance, registry: Registry, src: HealthSources): void {
  app.get('/healthz', async (_req, reply) => {
    const h = health(src);
    return reply.code(h.ok ? 200 : 503).send(h);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });
}
