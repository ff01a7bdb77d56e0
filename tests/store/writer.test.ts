import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorePoint } from '../../src/core/domain.js';
import { createInfluxClient, ensureDatabase } from '../../src/store/client.js';
import { InfluxWriter, type InfluxWriterOptions } from '../../src/store/writer.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { stopProcess } from '../helpers/process.js';
import { BASE_TS, gasPoint, sleep, until } from './fixtures/points.js';
import { startProxy, type TestProxy } from './http-proxy.js';

describe('InfluxWriter against a real influxd', () => {
  let influx: TestInflux;
  let proxy: TestProxy;
  const dirs: string[] = [];

  beforeAll(async () => {
    influx = await startTestInflux();
    proxy = await startProxy(influx.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await influx?.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function openWriter(db: string, opts: Partial<InfluxWriterOptions> = {}): Promise<InfluxWriter> {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-writer-'));
    dirs.push(dataDir);
    const client = createInfluxClient({ url: proxy.url, database: db, timeoutMs: opts.timeoutMs ?? 5000 });
    await ensureDatabase(client, db);
    return InfluxWriter.open({ url: proxy.url, database: db, dataDir, ...opts });
  }

  const seqRows = async (db: string, where = ''): Promise<number[]> => rows(await influx.query(`SELECT seq FROM gas ${where}`, db)).map((r) => r.seq as number);

  it('batches 5,000 points from concurrent writes into fewer POSTs, with exact values and stable field types', async () => {
    const registry = new Registry();
    const w = await openWriter('batching', { batchSize: 1000, flushMs: 50, metrics: registry });
    proxy.writePosts = 0;
    const calls = 500;
    await Promise.all(Array.from({ length: calls }, (_, c) => w.write(Array.from({ length: 10 }, (_, k) => gasPoint(c * 10 + k)))));
    expect(w.stats()).toMatchObject({ pointsWritten: 5000, pointsSpooled: 0, spooling: false, influxUp: true });
    expect(proxy.writePosts).toBeLessThan(calls);
    expect(w.stats().posts).toBe(proxy.writePosts);

    const r = rows(await influx.query('SELECT lel, seq, battery, device, grid FROM gas', 'batching'));
    expect(r).toHaveLength(5000);
    for (const row of r) {
      const seq = row.seq as number;
      expect(row).toEqual({ time: BASE_TS + seq, lel: gasPoint(seq).fields.lel, seq, battery: 90, device: 'gas-lty3-0101', grid: 'lty-1' });
    }
    const types = Object.fromEntries((await influx.query('SHOW FIELD KEYS FROM gas', 'batching'))[0]?.values ?? []);
    expect(types).toEqual({ battery: 'float', lel: 'float', seq: 'integer' });
    expect(await registry.getSingleMetricAsString('gridwatch_store_points_written_total')).toMatch(/ 5000$/m);
    await w.close();
    // a writer opened again on the same registry keeps counting on the same metrics
    const again = await openWriter('batching', { metrics: registry });
    await again.write([gasPoint(5000)]);
    expect(await registry.getSingleMetricAsString('gridwatch_store_points_written_total')).toMatch(/ 5001$/m);
    expect(await registry.getSingleMetricAsString('gridwatch_store_write_duration_seconds')).toMatch(/_count\{outcome="ok"\} \d+/);
    await again.close();
  });

  it('keeps resolving writes while influxd is down, then replays every spooled point once and in order', async () => {
    // one POST at a time, so InfluxDB's answers come in write order and the replay's order shows
    // (two in flight may land in either order: writer-inflight.test.ts)
    const w = await openWriter('outage', { batchSize: 200, flushMs: 20, timeoutMs: 2000, postsInFlight: 1, retry: { attempts: 2, baseMs: 50, maxMs: 200, replayMaxMs: 400 } });
    proxy.ackedSeqs = [];
    const resolved = new Set<number>();
    let next = 0;
    let stop = false;
    const producer = (async () => {
      const writes: Promise<void>[] = [];
      while (!stop) {
        const i = next++;
        writes.push(w.write([gasPoint(i)]).then(() => void resolved.add(i)));
        await sleep(3);
      }
      await Promise.all(writes);
    })();

    await until(() => resolved.size >= 150, 30_000, 'writes before the outage');
    await influx.stop();
    const atStop = resolved.size;
    await until(() => w.stats().spooling && resolved.size >= atStop + 300, 60_000, 'writes resolving from the spool');
    expect(w.stats().influxUp).toBe(false);
    expect(w.stats().pointsSpooled).toBeGreaterThan(0);

    await influx.restart();
    await until(() => w.stats().pointsWritten > 0 && !w.stats().spooling, 60_000, 'the spool to drain while writes continue');
    stop = true;
    await producer;
    await until(() => !w.stats().spooling && w.stats().spoolDepth === 0, 60_000, 'the spool to drain');
    await w.close();

    const stored = await seqRows('outage');
    const unique = new Set(stored);
    expect(stored.length).toBe(unique.size); // none twice
    expect(stored.length).toBe(next); // every written point, and every resolved one among them
    for (const seq of resolved) expect(unique.has(seq)).toBe(true);

    // InfluxDB acknowledged them in write order (a repeat of an already-landed batch is allowed).
    const seen = new Set<number>();
    const firsts = proxy.ackedSeqs.filter((s) => !seen.has(s) && seen.add(s));
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    expect(firsts).toHaveLength(next);
  });

  it('drops points InfluxDB refuses (field type conflict) without blocking the ones behind them', async () => {
    await influx.createDb('conflict');
    // `lel` already exists as an integer in this shard, so our float lel is a type conflict.
    const res = await fetch(`${influx.url}/write?db=conflict&precision=ms`, { method: 'POST', body: `gas,device=old lel=1i ${BASE_TS}` });
    expect(res.status).toBe(204);
    const w = await openWriter('conflict');
    const presence = (i: number): StorePoint => ({ measurement: 'presence', tags: { device: 'd' }, fields: { online: true, cause: 'connect' }, ts: BASE_TS + i });
    await w.write([gasPoint(1), presence(1), gasPoint(3)]);
    await w.write([presence(2)]);
    expect(w.stats()).toMatchObject({ pointsDropped: 2, spooling: false, influxUp: true });
    expect(rows(await influx.query('SELECT online FROM presence', 'conflict'))).toHaveLength(2);
    expect(rows(await influx.query('SELECT lel FROM gas', 'conflict'))).toEqual([{ time: BASE_TS, lel: 1 }]);
    await w.close();
  });

  it('isolates unparsable points in a refused batch and writes the rest', async () => {
    const w = await openWriter('bisect');
    proxy.refuseMarker = 'poison';
    try {
      const points = Array.from({ length: 20 }, (_, i) => gasPoint(i, i === 4 || i === 13 ? `poison-${i}` : 'gas-lty3-0101'));
      await w.write(points);
      expect(w.stats().pointsDropped).toBe(2);
      expect((await seqRows('bisect')).sort((a, b) => a - b)).toEqual(points.map((_, i) => i).filter((i) => i !== 4 && i !== 13));
    } finally {
      proxy.refuseMarker = undefined;
      await w.close();
    }
  });

  it('a hung InfluxDB (no answer to the POST nor to /ping) sends the batch and the queue behind it to the spool without waiting for the timeout', async () => {
    // timeoutMs is longer than the test timeout: only the stall probe can release these writes.
    const w = await openWriter('overflow', { batchSize: 10, timeoutMs: 120_000, stallMs: 100, retry: { attempts: 3, baseMs: 50, replayMaxMs: 200 } });
    proxy.mode = 'hang';
    try {
      const first = w.write([gasPoint(0)]);
      await until(() => proxy.writePosts > 0, 10_000, 'the first POST');
      await Promise.all([first, ...Array.from({ length: 60 }, (_, i) => w.write([gasPoint(i + 1)]))]);
      expect(w.stats()).toMatchObject({ spooling: true, pointsSpooled: 61, influxUp: false });
    } finally {
      proxy.mode = 'pass';
      proxy.releaseHung();
    }
    await until(() => !w.stats().spooling, 30_000, 'the spool to drain');
    expect((await seqRows('overflow')).sort((a, b) => a - b)).toEqual(Array.from({ length: 61 }, (_, i) => i));
    await w.close();
  });

  it('group commit: an idle writer sends a write at once (flushMs is only a bound), writes arriving while every POST slot is busy go out together next', async () => {
    const w = await openWriter('group', { flushMs: 60_000, postsInFlight: 2 });
    proxy.writePosts = 0;
    await w.write([gasPoint(0)]); // would wait 60 s for a flush timer
    expect(proxy.writePosts).toBe(1);

    proxy.mode = 'slow';
    try {
      const first = w.write([gasPoint(1)]);
      await until(() => proxy.held === 1, 10_000, 'the POST of the first write');
      const second = Array.from({ length: 5 }, (_, i) => w.write([gasPoint(i + 2)])); // one tick: one batch
      await until(() => proxy.held === 2, 10_000, 'the POST of the second batch');
      const gathered = Array.from({ length: 15 }, (_, i) => w.write([gasPoint(i + 7)]));
      // both slots busy: the 15 writes are queued, none sent yet
      await new Promise((r) => setImmediate(r));
      expect(w.stats()).toMatchObject({ inflightPosts: 2, pendingPoints: 15 });
      expect(proxy.writePosts).toBe(3);
      proxy.mode = 'pass';
      proxy.releaseSlow();
      await Promise.all([first, ...second, ...gathered]);
    } finally {
      proxy.mode = 'pass';
      proxy.releaseSlow();
    }
    expect(proxy.writePosts).toBe(4); // the 15 in one batch
    expect(w.stats()).toMatchObject({ pointsWritten: 22, posts: 4, pointsSpooled: 0 });
    expect((await seqRows('group')).sort((a, b) => a - b)).toEqual(Array.from({ length: 22 }, (_, i) => i));
    await w.close();
  });

  it('load is not an outage: a slow InfluxDB that answers /ping holds writes (saturated, then drain), nothing goes to the spool', async () => {
    const w = await openWriter('slow', { batchSize: 10, maxPendingPoints: 30, stallMs: 500, timeoutMs: 60_000 });
    const events: string[] = [];
    w.on('saturated', () => events.push('saturated'));
    w.on('drain', () => events.push('drain'));
    proxy.mode = 'slow';
    const resolved = new Set<number>();
    let writes: Promise<void>[] = [];
    try {
      writes.push(w.write([gasPoint(0)]).then(() => void resolved.add(0)));
      await until(() => proxy.held === 1, 10_000, 'the first POST');
      writes = writes.concat(Array.from({ length: 40 }, (_, i) => w.write([gasPoint(i + 1)]).then(() => void resolved.add(i + 1))));
      expect(w.saturated).toBe(true);
      expect(events).toEqual(['saturated']);
      const pingsBefore = proxy.pings;
      // the POST outlives several stall probes; InfluxDB answers them, so it is only slow
      await until(() => proxy.pings >= pingsBefore + 3, 10_000, 'stall probes answered');
      expect(resolved.size).toBe(0);
      expect(w.stats()).toMatchObject({ spooling: false, pointsSpooled: 0, influxUp: true });
      proxy.mode = 'pass';
      proxy.releaseSlow();
      await Promise.all(writes);
    } finally {
      proxy.mode = 'pass';
      proxy.releaseSlow();
    }
    expect(events).toEqual(['saturated', 'drain']);
    expect(w.saturated).toBe(false);
    expect(w.stats()).toMatchObject({ pointsWritten: 41, pointsSpooled: 0, spooling: false });
    expect((await seqRows('slow')).sort((a, b) => a - b)).toEqual(Array.from({ length: 41 }, (_, i) => i));
    await w.close();
  });

  it('a stalled influxd (SIGSTOP) is detected by the /ping probe: the pending write goes to the spool long before timeoutMs, and lands after SIGCONT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-writer-'));
    dirs.push(dataDir);
    // its own influxd: the shared one has been stopped and restarted by the tests above
    const own = await startTestInflux();
    await ensureDatabase(createInfluxClient({ url: own.url, database: 'stalled' }), 'stalled');
    // timeoutMs is longer than the test timeout: only the stall probe can release the write
    const w = await InfluxWriter.open({ url: own.url, database: 'stalled', dataDir, timeoutMs: 120_000, retry: { replayMaxMs: 200 } });
    await w.write([gasPoint(0)]);
    const pid = own.child.pid as number;
    await stopProcess(pid);
    try {
      await w.write([gasPoint(1), gasPoint(2)]);
      expect(w.stats()).toMatchObject({ spooling: true, pointsSpooled: 2, influxUp: false });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await until(() => !w.stats().spooling, 30_000, 'the spool to drain');
    expect(rows(await own.query('SELECT seq FROM gas', 'stalled')).map((r) => r.seq)).toEqual([0, 1, 2]);
    await w.close();
    await own.cleanup();
  });

  it('close() sends what is pending at once, or spools it when InfluxDB is down; a new writer replays it', async () => {
    const w = await openWriter('closing', { flushMs: 60_000 });
    const first = w.write([gasPoint(1)]);
    await w.close();
    await first;
    expect(await seqRows('closing')).toEqual([1]);

    const dataDir = mkdtempSync(join(tmpdir(), 'gw-writer-'));
    dirs.push(dataDir);
    const down = await InfluxWriter.open({ url: proxy.url, database: 'closing', dataDir, flushMs: 60_000, retry: { attempts: 3, baseMs: 60_000 } });
    proxy.mode = 'down';
    try {
      const second = down.write([gasPoint(2), gasPoint(3)]);
      await down.close();
      await second;
      expect(down.stats()).toMatchObject({ pointsSpooled: 2, spoolDepth: 2 });
    } finally {
      proxy.mode = 'pass';
    }
    const next = await InfluxWriter.open({ url: proxy.url, database: 'closing', dataDir });
    await until(() => !next.stats().spooling, 30_000, 'the replay');
    expect((await seqRows('closing')).sort()).toEqual([1, 2, 3]);
    await next.close();
  });

  it('spools a batch whose POST times out, and delivers it once InfluxDB answers', async () => {
    const w = await openWriter('timeout', { timeoutMs: 300, retry: { attempts: 1, baseMs: 50, replayMaxMs: 200 } });
    proxy.mode = 'hang';
    try {
      await w.write([gasPoint(1), gasPoint(2)]);
      expect(w.stats()).toMatchObject({ spooling: true, pointsSpooled: 2, influxUp: false });
    } finally {
      proxy.mode = 'pass';
      proxy.releaseHung();
    }
    await until(() => !w.stats().spooling, 30_000, 'the spool to drain');
    expect((await seqRows('timeout')).sort()).toEqual([1, 2]);
    await w.close();
    await expect(w.write([gasPoint(3)])).rejects.toThrow(/closed/);
  });
});
