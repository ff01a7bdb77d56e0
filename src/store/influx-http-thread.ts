// The worker thread of influx-http-worker.ts: one InfluxHttp, serving the main thread's requests.
import { parentPort, workerData } from 'node:worker_threads';
import { CancelToken, InfluxHttp, type InfluxEndpoint } from './influx-http.js';
import { toWire, type ThreadReply, type ThreadRequest } from './influx-http-worker.js';

const port = parentPort;
if (!port) throw new Error('influx-http-thread runs as a worker thread only');
const http = new InfluxHttp(workerData as InfluxEndpoint);
const writes = new Map<number, CancelToken>();
const reply = (r: ThreadReply): void => port.postMessage(r);

port.on('message', (req: ThreadRequest) => {
  if (req.op === 'write') {
    const cancel = new CancelToken();
    writes.set(req.id, cancel);
    const body = Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength);
    http.write(body, req.precision, req.timeoutMs, cancel).then(
      () => reply({ id: req.id, ok: true }),
      (e: unknown) => reply({ id: req.id, error: toWire(e) }),
    ).finally(() => writes.delete(req.id));
  } else if (req.op === 'ping') {
    void http.ping(req.timeoutMs).then((up) => reply({ id: req.id, up }));
  } else {
    writes.get(req.id)?.cancel(new Error('given up by the writer'));
  }
});
