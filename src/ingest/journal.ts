// The ingest journal: which point each receive-stamped reading (no `ts`, with a `seq`) was given.
// Such a reading's time is the hub's receive time, so a device's re-send of it after a hub crash
// (stored, but the PUBACK never went out) would otherwise become a second point. Each entry is
// written to the file before the reading is handed to the store, and on start the hub loads the
// journal into the de-duplication rings as "not known to be stored": a re-send is written to the
// original point again (InfluxDB overwrites it) and not announced a second time.
//
// Writes are grouped per event-loop turn and go to the OS (survive SIGKILL) without fsync; after
// a power cut a re-sent receive-stamped reading may be stored twice. Two files bound it: when
// `journal` passes `maxBytes` it becomes `journal.1` (replacing the older one). Device-stamped
// readings need no journal: their point follows from their own ts and seq.
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadingDedup } from './dedup.js';

export interface JournalOptions {
  dir: string;
  maxBytes?: number;
}

export class ReadingJournal {
  private fh: FileHandle | undefined;
  private bytes = 0;
  private buffer = '';
  private waiting: { resolve(): void; reject(e: unknown): void }[] = [];
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();
  private readonly path: string;
  private readonly maxBytes: number;

  private constructor(private readonly dir: string, maxBytes: number) {
    this.path = join(dir, 'journal');
    this.maxBytes = maxBytes;
  }

  /** Opens the journal in `dir` and loads what an earlier run wrote into `dedup`; returns the entries loaded. */
  static async open(opts: JournalOptions, dedup: ReadingDedup): Promise<{ journal: ReadingJournal; loaded: number }> {
    const j = new ReadingJournal(opts.dir, opts.maxBytes ?? 8 * 1024 * 1024);
    await mkdir(opts.dir, { recursive: true });
    let loaded = 0;
    for (const file of [`${j.path}.1`, j.path]) {
      const text = await readFile(file, 'utf8').catch(() => '');
      for (const line of text.split('\n')) if (load(line, dedup)) loaded++;
    }
    j.fh = await open(j.path, 'a');
    j.bytes = (await j.fh.stat()).size;
    return { journal: j, loaded };
  }

  /** Adds an entry to the next write. */
  record(device: string, seq: number, h1: number, h2: number, ts: number, ns: number): void {
    this.buffer += `${device}\t${seq}\t${h1}\t${h2}\t${ts}\t${ns}\n`;
  }

  /** Resolves once every entry recorded so far is written to the file. */
  flush(): Promise<void> {
    if (this.buffer === '' && this.waiting.length === 0) return this.writing;
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        const body = this.buffer;
        const waiting = this.waiting;
        this.buffer = '';
        this.waiting = [];
        this.writing = this.writing.then(() => this.write(body)).then(
          () => waiting.forEach((w) => w.resolve()),
          (e: unknown) => waiting.forEach((w) => w.reject(e)),
        );
      });
    });
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.fh?.close();
    this.fh = undefined;
  }

  private async write(body: string): Promise<void> {
    if (body === '') return;
    if (!this.fh) throw new Error(`the ingest journal in ${this.dir} is closed`);
    const buf = Buffer.from(body);
    await this.fh.write(buf, 0, buf.length);
    this.bytes += buf.length;
    if (this.bytes >= this.maxBytes) {
      await this.fh.close();
      await rename(this.path, `${this.path}.1`);
      this.fh = await open(this.path, 'a');
      this.bytes = 0;
    }
  }
}

function load(line: string, dedup: ReadingDedup): boolean {
  const f = line.split('\t');
  if (f.length !== 6) return false; // an empty or torn last line
  const [device, seq, h1, h2, ts, ns] = [f[0] as string, Number(f[1]), Number(f[2]), Number(f[3]), Number(f[4]), Number(f[5])];
  if (device === '' || ![seq, h1, h2, ts, ns].every(Number.isFinite)) return false;
  const d = dedup.device(device);
  dedup.reserve(d, 1);
  if (d.find(seq, h1, h2) < 0) d.add(seq, h1, h2, ts, ns);
  return true;
}
