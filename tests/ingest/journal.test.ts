import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it, expect } from 'vitest';
import { ReadingDedup } from '../../src/ingest/dedup.js';
import { ReadingJournal } from '../../src/ingest/journal.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'gw-journal-'));
  dirs.push(d);
  return d;
};

describe('ReadingJournal', () => {
  it('a restarted hub knows the point of every journaled reading, as not known to be stored', async () => {
    const dir = tempDir();
    const { journal } = await ReadingJournal.open({ dir }, new ReadingDedup());
    journal.record('gas-1', 7, 11, 12, 1_700_000_000_000, 500_003);
    journal.record('gas-2', 1, 21, 22, 1_700_000_000_001, 500_000);
    await journal.flush();
    appendFileSync(join(dir, 'journal'), 'gas-3\t1\t2'); // a line torn by the crash
    // no close(): the process was killed
    const dedup = new ReadingDedup();
    const { loaded } = await ReadingJournal.open({ dir }, dedup);
    expect(loaded).toBe(2);
    const d = dedup.device('gas-1');
    const slot = d.find(7, 11, 12);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect([d.ts[slot], d.ns[slot], d.stored[slot]]).toEqual([1_700_000_000_000, 500_003, 0]);
    expect(dedup.device('gas-2').find(1, 21, 22)).toBeGreaterThanOrEqual(0);
    expect(dedup.device('gas-3').find(1, 2, 0)).toBe(-1);
  });

  it('keeps at most two files, the newest entries in them', async () => {
    const dir = tempDir();
    const { journal } = await ReadingJournal.open({ dir, maxBytes: 200 }, new ReadingDedup());
    for (let seq = 0; seq < 100; seq++) {
      journal.record('gas-1', seq, seq, seq, 1_700_000_000_000 + seq, 500_000);
      await journal.flush();
    }
    await journal.close();
    expect(readdirSync(dir).sort()).toEqual(['journal', 'journal.1']);
    const dedup = new ReadingDedup();
    await ReadingJournal.open({ dir, maxBytes: 200 }, dedup);
    const d = dedup.device('gas-1');
    expect(d.find(99, 99, 99)).toBeGreaterThanOrEqual(0);
    expect(d.find(0, 0, 0)).toBe(-1);
  });
});
