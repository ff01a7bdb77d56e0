// WAL checkpoints of the SQLite case store, off the event loop. SQLite's automatic checkpoint runs
// inside the COMMIT that takes the WAL past 1,000 pages: it copies the pages into the database file
// and fsyncs both, a few ms to tens of ms on a real disk, on whatever commits then (an alarm's
// case, about once in twenty-five alarms). The store turns it off (`wal_autocheckpoint = 0`) and
// asks this worker thread, on a connection of its own, for a PASSIVE checkpoint every `every`
// commits: it never waits for, nor blocks, the store's readers and writers. Durability is
// SQLite's as before: a commit is in the WAL (synchronous = NORMAL) whoever checkpoints it.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// CommonJS, evaluated in the worker: better-sqlite3 is loaded from the path the hub resolved
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.lib);
const db = new Database(workerData.file, { fileMustExist: true });
parentPort.on('message', () => {
  let ok = true;
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { ok = false; }
  parentPort.postMessage(ok);
});
`;

export interface Checkpointer {
  /** one more commit; every `every`-th asks the worker for a checkpoint (unless one is running) */
  committed(): void;
  close(): Promise<void>;
}

/**
 * `fallback` runs if the worker cannot start or fails: the store goes back to SQLite's own
 * checkpoints, so the WAL never grows without bound.
 */
export function startCheckpointer(file: string, fallback: () => void, every = 32): Checkpointer {
  let worker: Worker | undefined;
  let commits = 0;
  let running = false;
  let failed = false;
  const fail = (): void => {
    if (failed) return;
    failed = true;
    void worker?.terminate();
    worker = undefined;
    fallback();
  };
  const start = (): Worker => {
    const w = new Worker(WORKER, { eval: true, workerData: { lib: createRequire(import.meta.url).resolve('better-sqlite3'), file } });
    w.unref(); // a checkpoint never keeps the process alive
    w.on('message', (ok: boolean) => {
      running = false;
      if (!ok) fail();
    });
    w.on('error', fail);
    w.on('exit', () => {
      if (worker === w) fail();
    });
    return w;
  };
  return {
    committed() {
      if (failed || ++commits < every || running) return;
      commits = 0;
      running = true;
      worker ??= start();
      worker.postMessage(0);
    },
    async close() {
      failed = true; // no fallback: the store is closing (its last connection checkpoints)
      const w = worker;
      worker = undefined;
      await w?.terminate();
    },
  };
}
