// The writer's own HTTP path to InfluxDB 1.x: POST /write with a line-protocol body and GET /ping,
// over a keep-alive agent. Queries stay on node-influx (client.ts); the hot path needs only these two.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { WritePrecision } from './line-protocol.js';

export interface InfluxEndpoint {
  /** e.g. http://127.0.0.1:8086 (a path prefix is kept) */
  url: string;
  database: string;
  username?: string;
  password?: string;
}

/** InfluxDB answered, but not 204: `status` and the body's error text. */
export class InfluxHttpError extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`InfluxDB answered ${status}: ${body.slice(0, 1000)}`);
    this.name = 'InfluxHttpError';
  }
}

export class InfluxHttp {
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  private readonly auth: string | undefined;

  constructor(private readonly endpoint: InfluxEndpoint) {
    this.base = new URL(endpoint.url);
    const https = this.base.protocol === 'https:';
    this.request = https ? httpsRequest : httpRequest;
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 4 }) : new HttpAgent({ keepAlive: true, maxSockets: 4 });
    this.auth = endpoint.username ? `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password ?? ''}`).toString('base64')}` : undefined;
  }

  private path(route: string, query?: Record<string, string>): string {
    const prefix = this.base.pathname.replace(/\/+$/, '');
    return `${prefix}${route}${query ? `?${new URLSearchParams(query).toString()}` : ''}`;
  }

  /** One POST /write; resolves on 204, throws InfluxHttpError on another status, or the socket error. */
  write(body: string, precision: WritePrecision, signal?: AbortSignal): Promise<void> {
    const payload = Buffer.from(body);
    return this.send('POST', this.path('/write', { db: this.endpoint.database, precision }), payload, signal).then(({ status, text }) => {
      if (status !== 204) throw new InfluxHttpError(status, errorText(text));
    });
  }

  /** True when /ping answers 204 within timeoutMs. */
  async ping(timeoutMs: number): Promise<boolean> {
    try {
      const { status } = await this.send('GET', this.path('/ping'), undefined, AbortSignal.timeout(timeoutMs));
      return status === 204;
    } catch {
      return false;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, payload: Buffer | undefined, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (payload) {
        headers['content-type'] = 'text/plain; charset=utf-8';
        headers['content-length'] = payload.length;
      }
      if (this.auth) headers.authorization = this.auth;
      const req = this.request(
        { protocol: this.base.protocol, hostname: this.base.hostname, port: this.base.port, method, path, headers, agent: this.agent, signal },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** InfluxDB 1.x answers errors as {"error": "..."}. */
function errorText(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: use the text as it is
  }
  return text;
}
