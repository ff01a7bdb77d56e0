// The writer's own HTTP path to InfluxDB 1.x: POST /write with a line-protocol body and GET /ping,
// over a keep-alive agent. Queries stay on node-influx (client.ts); the hot path needs only these two.
//
// A POST costs one request and nothing else: its time limit is the socket timeout of the request
// (no AbortController, no timer of its own), and a stall is found by ONE watchdog per client for
// every write in flight: while the oldest has been pending stallMs, ping; no answer within stallMs
// either means InfluxDB is stalled (SIGSTOP, a hung disk), not merely slow, and the writes that were
// pending when the probe began fail at once. A caller gives up on a write through a CancelToken.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { WritePrecision } from './line-protocol.js';

export interface InfluxEndpoint {
  /** e.g. http://127.0.0.1:8086 (a path prefix is kept) */
  url: string;
  database: string;
  username?: string;
  password?: string;
  /** watch writes for a stall (see above); default: no stall detection */
  stallMs?: number;
  /** writes that may be in flight at once (the agent keeps room for a ping besides) */
  maxWrites?: number;
}

/** InfluxDB answered, but not 204: `status` and the body's error text. */
export class InfluxHttpError extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`InfluxDB answered ${status}: ${body.slice(0, 1000)}`);
    this.name = 'InfluxHttpError';
  }
}

/** No answer: within the request's time limit (`timeout`), or InfluxDB stopped answering /ping (`stall`). */
export class InfluxUnansweredError extends Error {
  constructor(readonly reason: 'timeout' | 'stall', message: string) {
    super(message);
    this.name = 'InfluxUnansweredError';
  }
}

/** Lets the caller give up on a request in flight: it fails at once with the reason given. */
export class CancelToken {
  private req: ClientRequest | undefined;
  private why: Error | undefined;

  get reason(): Error | undefined {
    return this.why;
  }

  cancel(reason: Error): void {
    this.why ??= reason;
    this.req?.destroy(this.why);
  }

  /** @internal the request now in flight for this token (undefined when it ended) */
  bind(req: ClientRequest | undefined): void {
    this.req = req;
    if (req && this.why) req.destroy(this.why);
  }
}

export class InfluxHttp {
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  private readonly auth: string | undefined;
  private readonly writePaths = new Map<WritePrecision, string>();
  /** write requests in flight -> when they were sent (ms); insertion order = oldest first */
  private readonly writes = new Map<ClientRequest, number>();
  private readonly watchdog: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(private readonly endpoint: InfluxEndpoint) {
    this.base = new URL(endpoint.url);
    const https = this.base.protocol === 'https:';
    this.request = https ? httpsRequest : httpRequest;
    const maxSockets = (endpoint.maxWrites ?? 1) + 3;
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets });
    this.auth = endpoint.username ? `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password ?? ''}`).toString('base64')}` : undefined;
    const stallMs = endpoint.stallMs;
    // Ticks at half the stall time, so a write is probed between 1 and 1.5 x stallMs after it was sent.
    if (stallMs) this.watchdog = setInterval(() => this.watchStall(stallMs), Math.max(1, Math.floor(stallMs / 2))).unref();
  }

  private path(route: string, query?: Record<string, string>): string {
    const prefix = this.base.pathname.replace(/\/+$/, '');
    return `${prefix}${route}${query ? `?${new URLSearchParams(query).toString()}` : ''}`;
  }

  /**
   * One POST /write of a line-protocol body (UTF-8 bytes); resolves on 204, throws InfluxHttpError on another status, InfluxUnansweredError
   * when unanswered for timeoutMs or stalled, the cancel reason, or the socket error.
   */
  write(body: Buffer, precision: WritePrecision, timeoutMs: number, cancel?: CancelToken): Promise<void> {
    if (cancel?.reason) return Promise.reject(cancel.reason);
    let path = this.writePaths.get(precision);
    if (path === undefined) this.writePaths.set(precision, (path = this.path('/write', { db: this.endpoint.database, precision })));
    return this.send('POST', path, body, timeoutMs, cancel).then(({ status, text }) => {
      if (status !== 204) throw new InfluxHttpError(status, errorText(text));
    });
  }

  /** True when /ping answers 204 within timeoutMs. */
  async ping(timeoutMs: number): Promise<boolean> {
    try {
      const { status } = await this.send('GET', this.path('/ping'), undefined, timeoutMs);
      return status === 204;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.agent.destroy();
  }

  private watchStall(stallMs: number): void {
    if (this.probing || this.writes.size === 0) return;
    const probeAt = Date.now();
    const oldest = this.writes.values().next().value as number;
    if (probeAt - oldest < stallMs) return;
    this.probing = true;
    void this.ping(stallMs).then((up) => {
      this.probing = false;
      if (up) return;
      const err = new InfluxUnansweredError('stall', `InfluxDB stopped answering: no answer to /ping within ${stallMs} ms while a write was pending`);
      for (const [req, sent] of this.writes) if (sent <= probeAt) req.destroy(err);
    });
  }

  private send(method: string, path: string, payload: Buffer | undefined, timeoutMs: number, cancel?: CancelToken): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (payload) {
        headers['content-type'] = 'text/plain; charset=utf-8';
        headers['content-length'] = payload.length;
      }
      if (this.auth) headers.authorization = this.auth;
      const req = this.request(
        // `timeout` is the socket's idle limit: the body leaves at once, so it bounds the wait for the answer.
        { protocol: this.base.protocol, hostname: this.base.hostname, port: this.base.port, method, path, headers, agent: this.agent, timeout: timeoutMs },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            done();
            resolve({ status: res.statusCode ?? 0, text: chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', fail);
        },
      );
      const done = (): void => {
        if (payload) this.writes.delete(req);
        cancel?.bind(undefined);
      };
      const fail = (e: unknown): void => {
        done();
        reject(e);
      };
      req.on('timeout', () => req.destroy(new InfluxUnansweredError('timeout', `InfluxDB did not answer within ${timeoutMs} ms (timed out)`)));
      req.on('error', fail);
      if (payload) this.writes.set(req, Date.now());
      cancel?.bind(req);
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
