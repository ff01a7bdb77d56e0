// The writer's HTTP path on a worker thread: the POST of a batch body (its bytes are moved to the
// worker, not copied), the socket writes and reads and the parsing of InfluxDB's answer leave the
// hub's main thread, which only encodes the batch and hears back what happened. The worker runs the
// same InfluxHttp (influx-http-thread.ts), so timeouts, the stall probe and the errors it reports
// are those of influx-http.ts, rebuilt here as the same classes so deliver.ts classifies them alike.
//
// A worker that dies (an exception, OOM) fails every request it held with a network error, which
// the writer retries or spools like any other; the next request starts a new worker. A worker that
// stops answering (its event loop stuck) is found by a watchdog: a request unanswered well past its
// own time limit (and the stall probe's) terminates the worker, with the same outcome.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CancelToken, InfluxHttpError, InfluxUnansweredError, type InfluxEndpoint, type InfluxTransport } from './influx-http.js';
import type { WritePrecision } from './line-protocol.js';

/** A failure as it crosses the thread boundary. */
export type WireError =
  | { kind: 'http'; status: number; body: string }
  | { kind: 'unanswered'; reason: 'timeout' | 'stall'; message: string }
  | { kind: 'error'; message: string; code?: string };

export type ThreadRequest =
  | { id: number; op: 'write'; body: Uint8Array; precision: WritePrecision; timeoutMs: number }
  | { id: number; op: 'ping'; timeoutMs: number }
  | { id: number; op: 'cancel' };

export type ThreadReply = { id: number; ok: true } | { id: number; up: boolean } | { id: number; error: WireError };

interface Call {
  resolve: (reply: ThreadReply) => void;
  reject: (e: Error) => void;
  /** ms since epoch after which an unanswered call means the worker is stuck */
  deadline: number;
  cancel: CancelToken | undefined;
}

/** Time a worker gets beyond a request's own limits before it counts as stuck. */
const STUCK_GRACE_MS = 2000;

// Compiled (bin/, dist/) the thread is a .js file next to this one; run from source (tests, tsx) a .ts file.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const THREAD = new URL(`./influx-http-thread.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url);

export function fromWire(e: WireError): Error {
  if (e.kind === 'http') return new InfluxHttpError(e.status, e.body);
  if (e.kind === 'unanswered') return new InfluxUnansweredError(e.reason, e.message);
  return Object.assign(new Error(e.message), e.code === undefined ? {} : { code: e.code });
}

export function toWire(e: unknown): WireError {
  if (e instanceof InfluxHttpError) return { kind: 'http', status: e.status, body: e.body };
  if (e instanceof InfluxUnansweredError) return { kind: 'unanswered', reason: e.reason, message: e.message };
  const code = (e as { code?: unknown } | null)?.code;
  return { kind: 'error', message: e instanceof Error ? e.message : String(e), ...(typeof code === 'string' ? { code } : {}) };
}

export class InfluxHttpWorker implements InfluxTransport {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly calls = new Map<number, Call>();
  private readonly watchdog: NodeJS.Timeout;
  private readonly stuckAfterMs: number;
  private closed = false;

  constructor(private readonly endpoint: InfluxEndpoint) {
    this.stuckAfterMs = 2 * (endpoint.stallMs ?? 0) + STUCK_GRACE_MS;
    this.watchdog = setInterval(() => this.watchStuck(), 500).unref();
  }

  /** The worker now serving requests, if any (tests end it to check a crash is survived). */
  get thread(): Worker | undefined {
    return this.worker;
  }

  async write(body: Buffer, precision: WritePrecision, timeoutMs: number, cancel?: CancelToken): Promise<void> {
    if (cancel?.reason) throw cancel.reason;
    // The memory of a large body (encodeBatch's own) is moved to the worker, not copied: the caller
    // must not use the body afterwards. A small one may be a slice of Buffer's shared pool: copied.
    const bytes = body.buffer.byteLength > Buffer.poolSize ? body : new Uint8Array(body);
    const reply = await this.call({ id: 0, op: 'write', body: bytes, precision, timeoutMs }, timeoutMs, cancel, [bytes.buffer as ArrayBuffer]);
    if ('error' in reply) throw fromWire(reply.error);
  }

  async ping(timeoutMs: number): Promise<boolean> {
    try {
      const reply = await this.call({ id: 0, op: 'ping', timeoutMs }, timeoutMs);
      return 'up' in reply && reply.up;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    const w = this.worker;
    this.worker = undefined;
    this.failAll(new Error('the InfluxDB writer is closed'));
    await w?.terminate();
  }

  private call(req: ThreadRequest, timeoutMs: number, cancel?: CancelToken, transfer: ArrayBuffer[] = []): Promise<ThreadReply> {
    if (this.closed) return Promise.reject(new Error('the InfluxDB writer is closed'));
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    req.id = id;
    return new Promise<ThreadReply>((resolve, reject) => {
      this.calls.set(id, { resolve, reject, deadline: Date.now() + timeoutMs + this.stuckAfterMs, cancel });
      if (this.calls.size === 1) worker.ref();
      cancel?.bind((reason) => {
        if (!this.settle(id)) return;
        reject(reason);
        this.worker?.postMessage({ id, op: 'cancel' } satisfies ThreadRequest);
      });
      worker.postMessage(req, transfer);
    });
  }

  /** The call leaves the table; false if it already had. */
  private settle(id: number): Call | undefined {
    const call = this.calls.get(id);
    if (!call) return undefined;
    this.calls.delete(id);
    call.cancel?.bind(undefined);
    if (this.calls.size === 0) this.worker?.unref();
    return call;
  }

  private start(): Worker {
    // from source (tests), tsx's loader must be registered in the thread before its module is loaded
    const w = FROM_SOURCE
      ? new Worker(`require(${JSON.stringify(createRequire(import.meta.url).resolve('tsx/cjs/api'))}).require(${JSON.stringify(fileURLToPath(THREAD))}, __filename)`, { eval: true, workerData: this.endpoint })
      : new Worker(THREAD, { workerData: this.endpoint });
    w.unref();
    w.on('message', (reply: ThreadReply) => this.settle(reply.id)?.resolve(reply));
    let failure: Error | undefined;
    w.on('error', (e) => (failure = e));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.failAll(new Error(`the InfluxDB HTTP worker stopped (exit code ${code}${failure ? `: ${failure.message}` : ''})`));
    });
    return w;
  }

  private failAll(e: Error): void {
    for (const id of [...this.calls.keys()]) this.settle(id)?.reject(e);
  }

  private watchStuck(): void {
    const now = Date.now();
    for (const call of this.calls.values()) {
      if (call.deadline > now) continue;
      const w = this.worker;
      this.worker = undefined;
      this.failAll(new InfluxUnansweredError('timeout', `the InfluxDB HTTP worker did not answer within ${this.stuckAfterMs} ms of a request's time limit (timed out): restarting it`));
      void w?.terminate();
      return;
    }
  }
}
