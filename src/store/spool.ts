// The on-disk spool: append-only segment files of newline-delimited JSON points in
// <dataDir>/spool/. Appends are group-committed (every point pending when a flush starts goes out
// in one positional write + one fsync); a segment is rolled at a size limit and read back in
// order, streamed, so memory stays bounded however large the spool grows. A torn last line (a
// crash mid-append) has no newline and is ignored: its writer was never told it was durable.
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorePoint } from '../core/domain.js';
import { GridwatchError } from '../core/errors.js';

export interface SpoolOptions {
  /** the spool directory, usually <dataDir>/spool */
  dir: string;
  /** roll to a new segment once the current one reaches this many bytes (default 8 MiB) */
  segmentBytes?: number;
}

export interface SegmentInfo {
  name: string;
  /** complete (newline-terminated) lines in the segment */
  points: number;
  bytes: number;
}

interface Active extends SegmentInfo {
  fh: FileHandle;
}

interface PendingAppend {
  lines: string;
  count: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const SEGMENT_RE = /^seg-(\d{12})\.ndjson$/;
const segmentName = (n: number): string => `seg-${String(n).padStart(12, '0')}.ndjson`;

export function isStorePoint(v: unknown): v is StorePoint {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return typeof p.measurement === 'string' && typeof p.ts === 'number' && typeof p.tags === 'object' && p.tags !== null && typeof p.fields === 'object' && p.fields !== null;
}

/** Stream the complete lines of a file; a last line without '\n' (torn append) is not yielded. */
async function* completeLines(path: string): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
    const text = rest + (chunk as string);
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) yield line;
  }
}

export class Spool {
  readonly dir: string;
  private readonly segmentBytes: number;
  private sealed: SegmentInfo[] = [];
  private active: Active | undefined;
  private nextSeq = 1;
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private depthPoints = 0;
  private commitCount = 0;
  private closed = false;

  private constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.segmentBytes = opts.segmentBytes ?? 8 * 1024 * 1024;
  }

  /** Open (creating) the spool directory and take stock of segments left by an earlier run. */
  static async open(opts: SpoolOptions): Promise<Spool> {
    const spool = new Spool(opts);
    try {
      await mkdir(spool.dir, { recursive: true });
      const names = (await readdir(spool.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
      for (const name of names) {
        let points = 0;
        let bytes = 0;
        for await (const line of completeLines(join(spool.dir, name))) {
          points += 1;
          bytes += Buffer.byteLength(line) + 1;
        }
        spool.sealed.push({ name, points, bytes });
        spool.depthPoints += points;
        spool.nextSeq = Number(SEGMENT_RE.exec(name)?.[1] ?? 0) + 1;
      }
    } catch (e) {
      throw new GridwatchError('GW_ERR_STORE_SPOOL', `cannot open the spool at ${spool.dir}: ${(e as Error).message}`, { cause: e });
    }
    return spool;
  }

  /** Points on disk not yet acknowledged by InfluxDB (complete lines in all segments). */
  get depth(): number {
    return this.depthPoints;
  }

  /** Group commits (write + fsync) done since open. */
  get commits(): number {
    return this.commitCount;
  }

  /** True when nothing is on disk, queued or being written. */
  isEmpty(): boolean {
    return this.depthPoints === 0 && this.queue.length === 0 && !this.flushing;
  }

  /** Append points; resolves once they are written and fsync'd (group commit). */
  append(points: StorePoint[]): Promise<void> {
    if (this.closed) return Promise.reject(new GridwatchError('GW_ERR_STORE_SPOOL', `the spool at ${this.dir} is closed`));
    if (points.length === 0) return Promise.resolve();
    let lines = '';
    for (const p of points) lines += `${JSON.stringify(p)}\n`;
    return new Promise((resolve, reject) => {
      this.queue.push({ lines, count: points.length, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // Let every append of this tick join the same commit.
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flushQueue().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  private async flushQueue(): Promise<void> {
    const group = this.queue;
    this.queue = [];
    const body = Buffer.from(group.map((g) => g.lines).join(''));
    const count = group.reduce((n, g) => n + g.count, 0);
    try {
      const seg = await this.writable();
      try {
        await seg.fh.write(body, 0, body.length, seg.bytes);
        await seg.fh.sync();
      } catch (e) {
        // Cut off whatever part of the group reached the file so the next commit starts clean.
        await seg.fh.truncate(seg.bytes).catch(() => undefined);
        throw e;
      }
      this.commitCount += 1;
      seg.bytes += body.length;
      seg.points += count;
      this.depthPoints += count;
      for (const g of group) g.resolve();
    } catch (e) {
      const err = new GridwatchError('GW_ERR_STORE_SPOOL', `cannot append ${count} points to the spool at ${this.dir}: ${(e as Error).message}`, { cause: e });
      for (const g of group) g.reject(err);
    }
  }

  /** The segment to append to, rolling when it is full. */
  private async writable(): Promise<Active> {
    if (this.active && this.active.bytes >= this.segmentBytes) await this.sealActiveNow();
    if (!this.active) {
      const name = segmentName(this.nextSeq++);
      const fh = await open(join(this.dir, name), 'wx');
      await this.syncDir();
      this.active = { name, points: 0, bytes: 0, fh };
    }
    return this.active;
  }

  private async syncDir(): Promise<void> {
    // fsync the directory so a new segment's entry survives a power cut (best effort).
    const dh = await open(this.dir, 'r').catch(() => undefined);
    if (!dh) return;
    await dh.sync().catch(() => undefined);
    await dh.close();
  }

  private async sealActiveNow(): Promise<void> {
    const a = this.active;
    if (!a) return;
    this.active = undefined;
    await a.fh.close();
    if (a.points > 0) this.sealed.push({ name: a.name, points: a.points, bytes: a.bytes });
    else await unlink(join(this.dir, a.name)).catch(() => undefined);
  }

  /**
   * The oldest segment ready for replay. When only the segment being appended to holds points, it
   * is sealed first (after any commit in progress) so new appends start a fresh segment.
   */
  async oldest(): Promise<SegmentInfo | undefined> {
    if (this.sealed.length === 0 && this.active && this.active.points > 0) {
      while (this.flushing) await this.flushing;
      if (this.sealed.length === 0) await this.sealActiveNow();
    }
    return this.sealed[0];
  }

  /** Stream a segment's points in order, in batches of at most `batchSize`. Bad lines are skipped. */
  async *read(seg: SegmentInfo, batchSize: number, onBadLine?: (line: string) => void): AsyncGenerator<StorePoint[]> {
    let batch: StorePoint[] = [];
    for await (const line of completeLines(join(this.dir, seg.name))) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      if (!isStorePoint(parsed)) {
        onBadLine?.(line);
        continue;
      }
      batch.push(parsed);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** Delete a replayed segment: every point in it is acknowledged by InfluxDB. */
  async remove(seg: SegmentInfo): Promise<void> {
    const i = this.sealed.findIndex((s) => s.name === seg.name);
    if (i < 0) return;
    await unlink(join(this.dir, seg.name));
    this.sealed.splice(i, 1);
    this.depthPoints -= seg.points;
  }

  /** Wait for queued appends to be committed. */
  async settle(): Promise<void> {
    while (this.flushing || this.scheduled || this.queue.length > 0) {
      if (this.flushing) await this.flushing;
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Commit what is queued, then close the segment file (it stays on disk for the next start). */
  async close(): Promise<void> {
    await this.settle();
    this.closed = true;
    await this.sealActiveNow();
  }

  segments(): SegmentInfo[] {
    return [...this.sealed, ...(this.active ? [{ name: this.active.name, points: this.active.points, bytes: this.active.bytes }] : [])];
  }
}
