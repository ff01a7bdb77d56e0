// A real HTTP proxy in front of influxd for the store tests: counts write POSTs, records the seq
// values of every write InfluxDB acknowledged (in order), and can play "down", "hang" or refuse
// bodies containing a marker with a 400; 'slow' holds write POSTs until releaseSlow() while
// everything else (/ping) passes: InfluxDB up but slower than the writer. A held POST can also be
// answered on its own (answerHeld), e.g. a 503 for the first of two in flight.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyMode = 'pass' | 'down' | 'hang' | 'slow';

export interface TestProxy {
  url: string;
  mode: ProxyMode;
  /** a write body containing this string is answered 400 "unable to parse" without reaching influxd */
  refuseMarker?: string;
  /** POST /write requests received */
  writePosts: number;
  /** GET /ping requests received */
  pings: number;
  /** write POSTs held in 'slow' mode, not yet forwarded */
  held: number;
  /** seq values (field `seq=<n>i`) of every write influxd answered 204, in answer order */
  ackedSeqs: number[];
  /** end the connections of requests left unanswered in 'hang' mode (the client sees a reset) */
  releaseHung(): void;
  /** forward the write POSTs held in 'slow' mode (the mode itself is unchanged) */
  releaseSlow(): void;
  /** seq values in the bodies of the held write POSTs, one array per POST, oldest first */
  heldSeqs(): number[][];
  /** answer held POST number `index` (0 = oldest) with `status` without forwarding it */
  answerHeld(index: number, status: number): void;
  close(): Promise<void>;
}

function seqsOf(body: string): number[] {
  return [...body.matchAll(/[ ,]seq=(\d+)i/g)].map((m) => Number(m[1]));
}

export async function startProxy(target: string): Promise<TestProxy> {
  const up = new URL(target);
  const sockets = new Set<Socket>();
  const hung = new Set<Socket>();
  const state: Omit<TestProxy, 'url' | 'close' | 'releaseHung' | 'releaseSlow' | 'heldSeqs' | 'answerHeld'> = { mode: 'pass', writePosts: 0, pings: 0, held: 0, ackedSeqs: [] };
  interface Held {
    seqs: number[];
    forward: () => void;
    answer: (status: number) => void;
  }
  let slow: Held[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer, released = false): void => {
    const isWrite = req.method === 'POST' && (req.url ?? '').startsWith('/write');
    if (isWrite && !released) state.writePosts += 1;
    if ((req.url ?? '').startsWith('/ping')) state.pings += 1;
    if (state.mode === 'slow' && isWrite && !released) {
      state.held += 1;
      slow.push({
        seqs: seqsOf(body.toString('utf8')),
        forward: () => handle(req, res, body, true),
        answer: (status) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `test proxy answered ${status}` })),
      });
      return;
    }
    if (state.mode === 'hang') {
      hung.add(req.socket); // never answer; the client must time out or give up
      return;
    }
    if (state.mode === 'down') {
      req.socket.destroy();
      return;
    }
    const text = body.toString('utf8');
    if (isWrite && state.refuseMarker && text.includes(state.refuseMarker)) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `unable to parse '${state.refuseMarker}': invalid field format` }));
      return;
    }
    const fwd = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (ures) => {
      const chunks: Buffer[] = [];
      ures.on('data', (c: Buffer) => chunks.push(c));
      ures.on('end', () => {
        if (isWrite && ures.statusCode === 204) state.ackedSeqs.push(...seqsOf(text));
        res.writeHead(ures.statusCode ?? 502, ures.headers).end(Buffer.concat(chunks));
      });
    });
    fwd.on('error', () => req.socket.destroy());
    fwd.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    releaseSlow: () => {
      const go = slow;
      slow = [];
      state.held -= go.length;
      for (const h of go) h.forward();
    },
    heldSeqs: () => slow.map((h) => h.seqs),
    answerHeld: (index: number, status: number) => {
      const [h] = slow.splice(index, 1);
      if (!h) throw new Error(`no held write POST number ${index}`);
      state.held -= 1;
      h.answer(status);
    },
    releaseHung: () => {
      for (const s of hung) s.destroy();
      hung.clear();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
