// Two POSTs in flight: what the writer promises when one of them fails, when it closes with both
// out, and for the points whose order matters (presence), against a real influxd (behind the test
// proxy, which holds write POSTs and can answer each on its own).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorePoint } from '../../src/core/domain.js';
import { createInfluxClient, ensureDatabase } from '../../src/store/client.js';
import { InfluxWriter, type InfluxWriterOptions } from '../../src/store/writer.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { stopProcess } from '../helpers/process.js';
import { BASE_TS, gasPoint, sleep, until } from './fixtures/points.js';
import { startProxy, type TestProxy } from './http-proxy.js';

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

/** The seq of every point in the spool's segment files, in file order (= replay order). */
function spooledSeqs(dataDir: string): number[] {
  const dir = join(dataDir, 'spool');
  return readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((line) => (JSON.parse(line) as StorePoint).fields.seq as number);
}

/** A write and whether (and how) it has settled. */
interface Tracked {
  seqs: number[];
  done: Promise<void>;
  state: 'pending' | 'resolved' | 'rejected';
}

describe('InfluxWriter with two POSTs in flight', () => {
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

  function tempDir(): string {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-writer-'));
    dirs.push(dataDir);
    return dataDir;
  }

  async function openWriter(db: string, opts: Partial<InfluxWriterOptions> = {}): Promise<{ w: InfluxWriter; dataDir: string }> {
    const dataDir = opts.dataDir ?? tempDir();
    await ensureDatabase(createInfluxClient({ url: proxy.url, database: db }), db);
    return { w: await InfluxWriter.open({ url: proxy.url, database: db, dataDir, postsInFlight: 2, ...opts }), dataDir };
  }

  function track(w: InfluxWriter, seqs: number[]): Tracked {
    const t: Tracked = { seqs, state: 'pending', done: Promise.resolve() };
    t.done = w.write(seqs.map((s) => gasPoint(s))).then(
      () => void (t.state = 'resolved'),
      () => void (t.state = 'rejected'),
    );
    return t;
  }

  const seqRows = async (db: string): Promise<number[]> => rows(await influx.query('SELECT seq FROM gas', db)).map((r) => r.seq as number);

  async function heldTwo(): Promise<void> {
    await until(() => proxy.held === 2, 10_000, 'two POSTs in flight');
  }

  /** With the proxy holding POSTs: seqs 0-9 and 10-19 in flight (one batch each), then `queued` single writes from 20 waiting for a slot. */
  async function twoInFlightAndQueued(w: InfluxWriter, queued: number): Promise<{ a: Tracked; b: Tracked; later: Tracked[] }> {
    proxy.mode = 'slow';
    const a = track(w, range(0, 10));
    await until(() => proxy.held === 1, 10_000, 'the first POST');
    const b = track(w, range(10, 10));
    await heldTwo();
    const later = range(20, queued).map((s) => track(w, [s]));
    await new Promise((r) => setImmediate(r));
    return { a, b, later };
  }

  it('a second POST goes out while the first is in flight; writes arriving meanwhile wait for a free slot and go out together', async () => {
    const { w } = await openWriter('overlap', { batchSize: 10 });
    proxy.writePosts = 0;
    try {
      const { a, b, later } = await twoInFlightAndQueued(w, 5);
      expect(w.stats()).toMatchObject({ inflightPosts: 2, pendingPoints: 5 });
      expect(proxy.heldSeqs()).toEqual([range(0, 10), range(10, 10)]);
      proxy.mode = 'pass';
      proxy.releaseSlow();
      await Promise.all([a, b, ...later].map((t) => t.done));
      expect([a, b, ...later].every((t) => t.state === 'resolved')).toBe(true);
    } finally {
      proxy.mode = 'pass';
      proxy.releaseSlow();
    }
    expect(proxy.writePosts).toBe(3); // the five later writes in one batch
    expect((await seqRows('overlap')).sort((x, y) => x - y)).toEqual(range(0, 25));
    await w.close();
  });

  it('points in POSTs in flight count towards maxPendingPoints: two large writes in flight saturate the writer, and it drains as they land', async () => {
    const { w } = await openWriter('pressure', { batchSize: 10, maxPendingPoints: 30, timeoutMs: 60_000 });
    const events: string[] = [];
    w.on('saturated', () => events.push('saturated'));
    w.on('drain', () => events.push('drain'));
    proxy.mode = 'slow';
    try {
      // one write is never split: each of these is a batch of its own, both in flight, none queued
      const a = track(w, range(0, 20));
      await until(() => proxy.held === 1, 10_000, 'the first POST');
      const b = track(w, range(20, 20));
      await heldTwo();
      expect(w.stats()).toMatchObject({ pendingPoints: 0, inflightPosts: 2, saturated: true });
      expect(events).toEqual(['saturated']);
      proxy.mode = 'pass';
      proxy.releaseSlow();
      await Promise.all([a.done, b.done]);
    } finally {
      proxy.mode = 'pass';
      proxy.releaseSlow();
    }
    expect(events).toEqual(['saturated', 'drain']);
    expect(w.stats()).toMatchObject({ saturated: false, pointsWritten: 40, pointsSpooled: 0 });
    await w.close();
  });

  it('the first of two in flight fails for good: it, the second (given up on) and the queue behind go to the spool in write order, each write resolved only once durable', async () => {
    const { w, dataDir } = await openWriter('firstfails', { batchSize: 10, retry: { attempts: 1, baseMs: 50, replayMaxMs: 200 } });
    let a: Tracked, b: Tracked, queued: Tracked[];
    try {
      ({ a, b, later: queued } = await twoInFlightAndQueued(w, 10));
      proxy.mode = 'down'; // the spool's replay finds InfluxDB unreachable for now
      proxy.answerHeld(0, 503); // the first fails; the second is still unanswered
      await Promise.all([a, b, ...queued].map((t) => t.done));
      expect([a, b, ...queued].map((t) => t.state)).toEqual(Array(12).fill('resolved'));
      // Resolved means durable: the second batch's POST was never answered, so its points are in
      // the spool, after the first's and before the queue's: the replay keeps write order.
      expect(spooledSeqs(dataDir)).toEqual(range(0, 30));
      expect(w.stats()).toMatchObject({ spooling: true, pointsSpooled: 30, inflightPosts: 0, pendingPoints: 0 });
      expect(await seqRows('firstfails')).toEqual([]);
    } finally {
      proxy.mode = 'pass';
      proxy.releaseSlow(); // the given-up POST reaches influxd only now: an overwrite at most
    }
    await until(() => !w.stats().spooling, 30_000, 'the spool to drain');
    const stored = await seqRows('firstfails');
    expect(stored.sort((x, y) => x - y)).toEqual(range(0, 30));
    await w.close();
  });

  it('the second of two in flight fails for good while the first is still out: the spool still holds them in write order', async () => {
    const { w, dataDir } = await openWriter('secondfails', { batchSize: 10, retry: { attempts: 1, baseMs: 50, replayMaxMs: 200 } });
    const all: Tracked[] = [];
    try {
      const { a, b, later } = await twoInFlightAndQueued(w, 3);
      all.push(a, b, ...later);
      proxy.mode = 'down';
      proxy.answerHeld(1, 500);
      await Promise.all(all.map((t) => t.done));
      expect(all.every((t) => t.state === 'resolved')).toBe(true);
      expect(spooledSeqs(dataDir)).toEqual(range(0, 23));
    } finally {
      proxy.mode = 'pass';
      proxy.releaseSlow();
    }
    await until(() => !w.stats().spooling, 30_000, 'the spool to drain');
    expect((await seqRows('secondfails')).sort((x, y) => x - y)).toEqual(range(0, 23));
    await w.close();
  });

  it('close() with two POSTs in flight waits for both and for the queue behind them: answered ones resolve from InfluxDB, a failing one spools at once; a new writer replays it', async () => {
    const { w, dataDir } = await openWriter('closing', { batchSize: 10, flushMs: 60_000, retry: { attempts: 3, baseMs: 60_000 } });
    let closed = false;
    const all: Tracked[] = [];
    try {
      const { a, b, later } = await twoInFlightAndQueued(w, 4);
      all.push(a, b, ...later);
      const closing = w.close().then(() => void (closed = true));
      // the pending writes wait for a slot; closing resolves nothing early
      await new Promise((r) => setImmediate(r));
      expect(closed).toBe(false);
      expect(all.every((t) => t.state === 'pending')).toBe(true);
      proxy.releaseSlow(); // both land; the queue goes out next (and is held)
      await until(() => all[0]?.state === 'resolved' && all[1]?.state === 'resolved', 10_000, 'the held POSTs answered');
      await until(() => proxy.held === 1, 10_000, 'the queued writes POSTed');
      expect(closed).toBe(false);
      proxy.mode = 'down';
      proxy.answerHeld(0, 503); // closing: no retry, straight to the spool
      await closing;
      expect(all.map((t) => t.state)).toEqual(Array(6).fill('resolved'));
      expect(w.stats()).toMatchObject({ pointsWritten: 20, pointsSpooled: 4, spoolDepth: 4 });
      expect(spooledSeqs(dataDir)).toEqual(range(20, 4));
    } finally {
      proxy.mode = 'pass';
      proxy.releaseSlow();
    }
    const next = await InfluxWriter.open({ url: proxy.url, database: 'closing', dataDir });
    await until(() => !next.stats().spooling, 30_000, 'the replay');
    expect((await seqRows('closing')).sort((x, y) => x - y)).toEqual(range(0, 24));
    await next.close();
  });

  it('presence points of one device in the same millisecond land in write order: a batch holding them never overlaps another that does', async () => {
    const { w } = await openWriter('ordered', { postsInFlight: 3 });
    const presence = (online: boolean): StorePoint => ({ measurement: 'presence', tags: { device: 'gas-1' }, fields: { online, cause: online ? 'connect' : 'disconnect' }, ts: BASE_TS });
    proxy.mode = 'slow';
    try {
      const disconnected = w.write([presence(false)]);
      await until(() => proxy.held === 1, 10_000, 'the first POST');
      const connected = w.write([presence(true)]);
      const reading = w.write([gasPoint(1)]);
      await new Promise((r) => setImmediate(r));
      // two slots free, but the second presence point waits for the first (and the reading behind it, FIFO)
      expect(w.stats()).toMatchObject({ inflightPosts: 1, pendingPoints: 2 });
      proxy.mode = 'pass';
      proxy.releaseSlow();
      await Promise.all([disconnected, connected, reading]);
    } finally {
      proxy.mode = 'pass';
      proxy.releaseSlow();
    }
    expect(rows(await influx.query('SELECT online, "cause" FROM presence', 'ordered'))).toEqual([{ time: BASE_TS, online: true, cause: 'connect' }]);
    await w.close();
  });

  it('a stream of writes with two POSTs in flight, influxd SIGSTOPped mid-stream and resumed: every write resolves, every point stored exactly once', async () => {
    const own = await startTestInflux();
    await ensureDatabase(createInfluxClient({ url: own.url, database: 'stream' }), 'stream');
    const w = await InfluxWriter.open({ url: own.url, database: 'stream', dataDir: tempDir(), batchSize: 50, postsInFlight: 2, timeoutMs: 120_000, stallMs: 200, retry: { attempts: 3, baseMs: 50, replayMaxMs: 200 } });
    const writes: Tracked[] = [];
    let next = 0;
    let stop = false;
    let maxInflight = 0;
    const producer = (async () => {
      while (!stop) {
        writes.push(track(w, range(next, 3)));
        next += 3;
        maxInflight = Math.max(maxInflight, w.stats().inflightPosts);
        await sleep(3);
      }
    })();
    const pid = own.child.pid as number;
    try {
      await until(() => maxInflight === 2 && writes.filter((t) => t.state === 'resolved').length >= 100, 30_000, 'two POSTs in flight');
      await stopProcess(pid);
      await until(() => w.stats().spooling && w.stats().pointsSpooled >= 300, 30_000, 'writes resolving from the spool');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await until(() => !w.stats().spooling, 60_000, 'direct writes again');
    stop = true;
    await producer;
    await Promise.all(writes.map((t) => t.done));
    await until(() => !w.stats().spooling, 60_000, 'the spool to drain');
    await w.close();
    expect(writes.every((t) => t.state === 'resolved')).toBe(true);
    const stored = rows(await own.query('SELECT seq FROM gas', 'stream')).map((r) => r.seq as number);
    expect(stored.length).toBe(new Set(stored).size);
    expect(stored.sort((x, y) => x - y)).toEqual(range(0, next));
    await own.cleanup();
  });
});
