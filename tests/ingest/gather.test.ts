// The ingest's batch of one synchronous run (gather.ts), against a real InfluxWriter and influxd:
// the messages accepted together reach the writer in ONE write and none is durable before the
// write is; a failed write fails every message of the batch and leaves its readings re-sendable
// (the re-send is stored on the same point and not announced a second time).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceInfo, Reading, StorePoint } from '../../src/core/domain.js';
import { HubBus } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { createIngestMetrics } from '../../src/ingest/metrics.js';
import { Ingest, type ErrorAnswer } from '../../src/ingest/pipeline.js';
import { presencePoint, readingPoint } from '../../src/store/points.js';
import { InfluxWriter } from '../../src/store/writer.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';

const DB = 'gather';
let influx: TestInflux;
let dir: string;
let writer: InfluxWriter;

beforeAll(async () => {
  influx = await startTestInflux();
  await influx.createDb(DB);
  dir = mkdtempSync(join(tmpdir(), 'gw-gather-'));
  writer = await InfluxWriter.open({ url: influx.url, database: DB, dataDir: join(dir, 'w') });
}, 60_000);

afterAll(async () => {
  await writer?.close();
  await influx?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const gas = (id: string): DeviceInfo => ({ id, kind: 'gas', intervalS: 60, secretHash: 'x', street: 's1', community: 'c1', grid: 'g1', building: 'b1', noiseZone: '1' });
const payload = (seq: number, lel: number): Buffer => Buffer.from(JSON.stringify({ seq, lel, ts: Date.now() - 1000 }));

/** An Ingest on the given writer(s); `writes` records the size of every sink.write it makes. */
function ingestOn(target: () => InfluxWriter, batchPoints?: number): { ingest: Ingest; writes: number[]; done: () => number; announced: Reading[]; answers: ErrorAnswer[] } {
  const writes: number[] = [];
  let done = 0;
  const announced: Reading[] = [];
  const answers: ErrorAnswer[] = [];
  const bus = new HubBus();
  bus.on('reading', (r) => announced.push(r));
  const ingest = new Ingest({
    sink: {
      write: (points: StorePoint[]) => {
        writes.push(points.length);
        return target().write(points).then(() => void done++);
      },
    },
    bus, logger: silentLogger(), metrics: createIngestMetrics(new Registry()),
    points: { reading: readingPoint, presence: presencePoint },
    answer: (_device, a) => answers.push(a),
    ...(batchPoints === undefined ? {} : { batchPoints }),
  });
  return { ingest, writes, done: () => done, announced, answers };
}

async function stored(device: string): Promise<Record<string, unknown>[]> {
  return rows(await influx.query(`SELECT * FROM gas WHERE device = '${device}'`, DB));
}

describe('the ingest batch of one run', () => {
  it('writes the messages accepted together in one write; none is durable before it', async () => {
    const { ingest, writes, done, announced } = ingestOn(() => writer);
    const a = gas('gas-batch-a');
    const b = gas('gas-batch-b');
    const now = Date.now();
    const b1 = payload(1, 2);
    const accepted = [ingest.accept(a, 'reading', payload(1, 1), now), ingest.accept(b, 'reading', b1, now), ingest.accept(a, 'reading', payload(2, 3), now)];
    expect(announced.map((r) => r.values.lel)).toEqual([1, 2, 3]); // acted on at once
    expect(writes).toEqual([]); // gathered: written when this run ends
    await Promise.resolve();
    expect(writes).toEqual([3]);
    // each message is durable only once the writer's write is: what its PUBACK waits for
    const writesDoneWhenDurable = await Promise.all(accepted.map((x) => x.durable.then(done)));
    expect(writesDoneWhenDurable).toEqual([1, 1, 1]);
    expect((await stored('gas-batch-a')).map((r) => r.seq)).toEqual([1, 2]);
    expect((await stored('gas-batch-b')).map((r) => r.seq)).toEqual([1]);

    // the next run is the next batch; an exact re-send of a stored reading is refused
    const again = ingest.accept(a, 'reading', payload(3, 4), now);
    await again.durable;
    expect(writes).toEqual([3, 1]);
    const dup = ingest.accept(b, 'reading', b1, now);
    expect(dup.outcome).toMatchObject({ accepted: 0, rejected: 1 });
  });

  it('a batch closes at the writer batch size, so the writer batches and saturates as message by message', async () => {
    const { ingest, writes } = ingestOn(() => writer, 2);
    const d = gas('gas-batch-size');
    const now = Date.now();
    const accepted = [1, 2, 3, 4, 5].map((seq) => ingest.accept(d, 'reading', payload(seq, 1), now));
    await Promise.all(accepted.map((x) => x.durable));
    expect(writes).toEqual([2, 2, 1]);
    expect((await stored('gas-batch-size')).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a failed write fails every message of the batch; their re-sends are stored once, not announced again', async () => {
    const closed = await InfluxWriter.open({ url: influx.url, database: DB, dataDir: join(dir, 'closed') });
    await closed.close();
    let target = closed;
    const { ingest, announced, answers } = ingestOn(() => target);
    const d = gas('gas-batch-fail');
    const now = Date.now();
    const first = [payload(1, 31), payload(2, 32)];
    const failed = first.map((p) => ingest.accept(d, 'reading', p, now));
    for (const x of failed) await expect(x.durable).rejects.toMatchObject({ code: 'GW_ERR_STORE_WRITE' });
    expect(announced).toHaveLength(2);

    target = writer; // the store is back: the device re-sends what was not acknowledged
    const resent = first.map((p) => ingest.accept(d, 'reading', p, now));
    expect(resent.map((x) => x.outcome.accepted)).toEqual([1, 1]);
    await Promise.all(resent.map((x) => x.durable));
    expect(announced).toHaveLength(2); // not acted on twice: no second case
    expect(answers).toEqual([]);
    expect((await stored('gas-batch-fail')).map((r) => [r.seq, r.lel])).toEqual([[1, 31], [2, 32]]);
    // and now they are known stored: a third send is a duplicate
    expect(ingest.accept(d, 'reading', first[0] as Buffer, now).outcome).toMatchObject({ accepted: 0, rejected: 1 });
  });
});
