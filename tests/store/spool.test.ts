import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxClient, ensureDatabase } from '../../src/store/client.js';
import { freePort } from '../../src/store/influxd.js';
import { Spool } from '../../src/store/spool.js';
import { InfluxWriter } from '../../src/store/writer.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { gasPoint, until } from './fixtures/points.js';
import { startProxy } from './http-proxy.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gw-spool-'));
  dirs.push(d);
  return d;
}

async function readAll(spool: Spool, batchSize = 1000): Promise<number[]> {
  const seqs: number[] = [];
  const seg = await spool.oldest();
  for (const s of seg ? spool.segments() : []) for await (const batch of spool.read(s, batchSize)) seqs.push(...batch.map((p) => p.fields.seq as number));
  return seqs;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('Spool on a real file system', () => {
  it('group-commits the appends of one tick into one segment and reads them back in order', async () => {
    const dir = tempDir();
    const spool = await Spool.open({ dir });
    await Promise.all(Array.from({ length: 100 }, (_, i) => spool.append([gasPoint(i)])));
    expect(spool.depth).toBe(100);
    expect(spool.commits).toBe(1);
    await spool.append([gasPoint(100)]);
    expect(spool.commits).toBe(2);
    expect(readdirSync(dir)).toHaveLength(1);
    expect(await readAll(spool)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    await spool.close();
  });

  it('rolls segments at the size limit and deletes a segment only when told it is acknowledged', async () => {
    const dir = tempDir();
    const spool = await Spool.open({ dir, segmentBytes: 2000 });
    for (let i = 0; i < 60; i++) await spool.append([gasPoint(i)]);
    const files = readdirSync(dir).sort();
    expect(files.length).toBeGreaterThan(3);
    for (const f of files.slice(0, -1)) expect(readFileSync(join(dir, f)).length).toBeLessThan(2000 + 400);
    expect(await readAll(spool)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const first = await spool.oldest();
    if (!first) throw new Error('no segment');
    await spool.remove(first);
    expect(spool.depth).toBe(60 - first.points);
    expect(readdirSync(dir)).not.toContain(first.name);
    await spool.close();
    const reopened = await Spool.open({ dir, segmentBytes: 2000 });
    expect(reopened.depth).toBe(60 - first.points);
    expect(await readAll(reopened)).toEqual(Array.from({ length: 60 - first.points }, (_, i) => i + first.points));
    await reopened.close();
  });

  it('ignores a torn last line left by a crash and appends after it in a new segment', async () => {
    const dir = tempDir();
    const seg = join(dir, 'seg-000000000001.ndjson');
    writeFileSync(seg, [gasPoint(0), gasPoint(1), gasPoint(2)].map((p) => `${JSON.stringify(p)}\n`).join(''));
    appendFileSync(seg, JSON.stringify(gasPoint(3)).slice(0, 40));
    const spool = await Spool.open({ dir });
    expect(spool.depth).toBe(3);
    await spool.append([gasPoint(4)]);
    expect(spool.depth).toBe(4);
    expect(readdirSync(dir).sort()).toEqual(['seg-000000000001.ndjson', 'seg-000000000002.ndjson']);
    expect(await readAll(spool)).toEqual([0, 1, 2, 4]);
    await spool.close();
  });

  it('skips a corrupt line in the middle of a segment and keeps the rest', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'seg-000000000007.ndjson'), `${JSON.stringify(gasPoint(0))}\n{"not":"a point"}\n{garbage\n${JSON.stringify(gasPoint(1))}\n`);
    const spool = await Spool.open({ dir });
    const bad: string[] = [];
    const seg = await spool.oldest();
    if (!seg) throw new Error('no segment');
    const seqs: number[] = [];
    for await (const b of spool.read(seg, 10, (l) => bad.push(l))) seqs.push(...b.map((p) => p.fields.seq as number));
    expect(seqs).toEqual([0, 1]);
    expect(bad).toEqual(['{"not":"a point"}', '{garbage']);
    await spool.close();
  });
});

describe('crash recovery with a real influxd', () => {
  let influx: TestInflux;
  beforeAll(async () => {
    influx = await startTestInflux();
  });
  afterAll(async () => {
    await influx?.cleanup();
  });

  it('replays, exactly once, every point a SIGKILLed writer had reported durable', async () => {
    const dataDir = tempDir();
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const n = 500;
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'spool-child.ts'), dataDir, deadUrl, String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await until(() => out.includes(`durable ${n}`) || child.exitCode !== null, 60_000, 'the child to report durable points');
      expect(out, err).toContain(`durable ${n}`);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }

    const proxy = await startProxy(influx.url);
    try {
      const client = createInfluxClient({ url: proxy.url, database: 'crash' });
      await ensureDatabase(client, 'crash');
      const writer = await InfluxWriter.open({ url: proxy.url, database: 'crash', dataDir, batchSize: 200 });
      const spooled = writer.stats().spoolDepth;
      expect(spooled).toBeGreaterThanOrEqual(n);
      await until(() => !writer.stats().spooling && writer.stats().spoolDepth === 0, 60_000, 'the replay');
      await writer.close();

      const seqs = rows(await influx.query('SELECT seq FROM gas', 'crash')).map((r) => r.seq as number);
      expect(seqs).toHaveLength(spooled);
      expect(new Set(seqs).size).toBe(seqs.length);
      for (let i = 0; i < n; i++) expect(seqs).toContain(i);
      // exactly once on the wire, in the order they were written
      expect(proxy.ackedSeqs).toHaveLength(spooled);
      expect(proxy.ackedSeqs).toEqual([...proxy.ackedSeqs].sort((a, b) => a - b));
      expect(readdirSync(join(dataDir, 'spool'))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
