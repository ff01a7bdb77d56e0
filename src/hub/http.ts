// The hub's own HTTP routes: /healthz (broker up, InfluxDB up, spool depth -> 200 or 503 JSON)
// and /metrics (Prometheus text format from the hub's prom-client registry; behind a bearer token
// when config metrics.token is set, compared in constant time).
import { createHash, timingSafeEqual } from 'node:crypto';
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

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Whether an Authorization header carries the token (constant time; no token configured: open). */
export function metricsAllowed(token: string | undefined, authorization: string | undefined): boolean {
  if (token === undefined) return true;
  const m = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(token)) && m !== null;
}

export function registerHubRoutes(app: FastifyInstance, registry: Registry, opts: { metricsToken?: string }, src: HealthSources): void {
  app.get('/healthz', async (_req, reply) => {
    const h = health(src);
    return reply.code(h.ok ? 200 : 503).send(h);
  });
  app.get('/metrics', async (req, reply) => {
    if (!metricsAllowed(opts.metricsToken, req.headers.authorization)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="gridwatch metrics"').send({ code: 'GW_ERR_API_AUTH', message: 'GET /metrics needs "Authorization: Bearer <metrics.token>"', details: {} });
    }
    const text = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(text);
  });
}
