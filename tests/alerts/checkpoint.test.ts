// The SQLite case store's WAL is checkpointed by a worker thread (src/alerts/checkpoint.ts), not
// inside the commit of whichever alarm crosses SQLite's 1,000-page mark. Real SQLite files.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteCaseStore, type SqliteCaseStore } from '../../src/alerts/store-sqlite.js';
import { until } from '../helpers/hub.js';

let dir: string | undefined;
let store: SqliteCaseStore | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  store = undefined;
  dir = undefined;
});

/** Rows of `commands` in the database file alone: a copy of it without its WAL. */
function inMainFile(file: string, copy: string): number {
  copyFileSync(file, copy);
  const db = new Database(copy);
  try {
    return (db.prepare('SELECT count(*) AS n FROM commands').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('SQLite case store checkpoints', () => {
  it('no commit checkpoints; the worker moves what was committed into the database file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-ckpt-'));
    const file = join(dir, 'alerts.db');
    store = openSqliteCaseStore(file);
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    for (let i = 0; i < 100; i++) await store.tx((s) => s.saveCommand(`cmd-${i}`, 'case-1', 'valve-1', i));
    // every 32nd commit asks the worker: at least the first 64 are in the file once it is done
    const n = await until(() => {
      const rows = inMainFile(file, join(dir as string, 'copy.db'));
      return rows >= 64 ? rows : undefined;
    }, 15_000, 'a checkpoint by the worker');
    expect(n).toBeLessThanOrEqual(100);
    // and the store still has every commit
    expect((store.db.prepare('SELECT count(*) AS n FROM commands').get() as { n: number }).n).toBe(100);
  });
});
