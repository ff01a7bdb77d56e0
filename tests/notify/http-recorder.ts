// A real local HTTP server (node:http, port 0) that records every request and answers from a
// script: each test says what the "robot" answers, then reads back what gridwatch sent.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** never answer (until the server closes): a stuck robot */
  hang?: boolean;
}

export interface Recorder {
  url: string;
  requests: RecordedRequest[];
  /** answers for the next requests, in order; afterwards `fallback` */
  script: Reply[];
  fallback: Reply;
  close(): Promise<void>;
}

const OK_REPLY: Reply = { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };

/** Starts the server that records into `rec` and answers from its script; fills in url and close. */
async function serve(rec: Recorder): Promise<void> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      rec.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = rec.script.shift() ?? rec.fallback;
      if (reply.hang) return;
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  rec.url = `http://127.0.0.1:${port}`;
  rec.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function blank(fallback: Reply): Recorder {
  return { url: '', requests: [], script: [], fallback, close: async () => undefined };
}

export async function startRecorder(fallback: Reply = OK_REPLY): Promise<Recorder> {
  const rec = blank(fallback);
  await serve(rec);
  return rec;
}

/**
 * The test file's recorder: started before all tests, closed after all; before each test its
 * requests and script are emptied and its fallback is `fallback` again.
 */
export function useRecorder(fallback: Reply = OK_REPLY): Recorder {
  const rec = blank(fallback);
  beforeAll(() => serve(rec));
  afterAll(() => rec.close());
  beforeEach(() => {
    rec.requests.length = 0;
    rec.script.length = 0;
    rec.fallback = fallback;
  });
  return rec;
}

/** Poll until `cond` holds (never a fixed sleep). */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
