// The worker-thread HTTP path: what happens to writes when its thread dies, and that close() ends
// it. (The writer's promises over this transport: writer-inflight.test.ts runs on both.)
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxClient, ensureDatabase } from '../../src/store/client.js';
import { classify } from '../../src/store/deliver.js';
import { InfluxHttpWorker } from '../../src/store/influx-http-worker.js';
import { encodeBatch } from '../../src/store/line-protocol.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { gasPoint, until } from './fixtures/points.js';
import { startProxy, type TestProxy } from './http-proxy.js';

describe('InfluxHttpWorker against a real influxd', () => {
  let influx: TestInflux;
  let proxy: TestProxy;

  beforeAll(async () => {
    influx = await startTestInflux();
    proxy = await startProxy(influx.url);
    await ensureDatabase(createInfluxClient({ url: proxy.url, database: 'thread' }), 'thread');
  });
  afterAll(async () => {
    await proxy?.close();
    await influx?.cleanup();
  });

  it('a worker that dies with a POST in flight fails it as a retryable network error; the next write starts a new worker and lands', async () => {
    const http = new InfluxHttpWorker({ url: proxy.url, database: 'thread', stallMs: 60_000 });
    try {
      proxy.mode = 'slow';
      const pending = http.write(encodeBatch([gasPoint(1)]), 'ns', 60_000);
      const outcome = pending.then(
        () => 'resolved',
        (e: unknown) => e,
      );
      await until(() => proxy.held === 1, 10_000, 'the POST held by the proxy');
      const first = http.thread;
      expect(first).toBeDefined();
      await first?.terminate();
      const err = await outcome;
      expect(err).toBeInstanceOf(Error);
      expect(classify(err)).toMatchObject({ reason: 'network', retryable: true });

      proxy.mode = 'pass';
      await http.write(encodeBatch([gasPoint(2)]), 'ns', 10_000);
      expect(http.thread).toBeDefined();
      expect(http.thread).not.toBe(first);
      expect(await http.ping(5_000)).toBe(true);
      expect(rows(await influx.query('SELECT seq FROM gas', 'thread')).map((r) => r.seq)).toContain(2);
    } finally {
      proxy.mode = 'pass';
      proxy.releaseSlow();
      await http.close();
    }
  });

  it('close() ends the worker thread; a write after it is refused', async () => {
    const http = new InfluxHttpWorker({ url: proxy.url, database: 'thread' });
    await http.write(encodeBatch([gasPoint(3)]), 'ns', 10_000);
    const thread = http.thread;
    expect(thread).toBeDefined();
    const exited = once(thread as NonNullable<typeof thread>, 'exit');
    await http.close();
    await exited;
    expect(http.thread).toBeUndefined();
    await expect(http.write(encodeBatch([gasPoint(4)]), 'ns', 10_000)).rejects.toThrow(/closed/);
  });
});
