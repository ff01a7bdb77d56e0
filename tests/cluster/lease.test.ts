// The rules lease against a real PostgreSQL, with real child processes holding it: kill -9 and
// SIGSTOP/SIGCONT of the holder. Hand-over times are printed, never asserted (speed: npm run bench).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fencedTransaction } from '../../src/cluster/fenced.js';
import { Lease } from '../../src/cluster/lease.js';
import { until } from '../helpers/hub.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { stopProcess } from '../helpers/process.js';
import { stopChild } from '../helpers/engines.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/lease-child.ts', import.meta.url));
const LEASE_MS = 2000;

interface Child { proc: ChildProcess; lines: Array<Record<string, unknown>>; find(pred: (l: Record<string, unknown>) => boolean): Record<string, unknown> | undefined }

function startChild(url: string, holder: string, env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, GW_TEST_PG_URL: url, GW_TEST_HOLDER: holder, GW_TEST_LEASE_MS: String(LEASE_MS), ...env },
  });
  const lines: Array<Record<string, unknown>> = [];
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not ours
    }
  });
  return { proc, lines, find: (pred) => lines.find(pred) };
}

const event = (name: string) => (l: Record<string, unknown>): boolean => l.event === name;

describe('rules lease: PostgreSQL advisory lock with an idle_session_timeout and a fencing epoch', () => {
  let postgres: TestPostgres;
  let db = 0;
  const children: Child[] = [];
  beforeAll(async () => {
    postgres = await startTestPostgres();
  }, 60_000);
  afterEach(async () => {
    for (const c of children.splice(0)) {
      try {
        c.proc.kill('SIGCONT');
      } catch {
        // already gone
      }
      await stopChild(c.proc, 'SIGKILL');
    }
  });
  afterAll(async () => {
    await postgres?.cleanup();
  });

  const freshDb = async (): Promise<string> => {
    const url = await postgres.createDatabase(`lease_${++db}`);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('CREATE TABLE gw_test_writes (holder text NOT NULL, epoch bigint NOT NULL, via text NOT NULL)');
    await c.end();
    return url;
  };
  const rows = async (url: string, sql: string): Promise<Array<Record<string, unknown>>> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await c.end();
    }
  };

  it('a waiter takes over with the next epoch after kill -9 of the holder', async () => {
    const url = await freshDb();
    const a = startChild(url, 'a');
    children.push(a);
    const got = await until(() => a.find(event('acquired')), 30_000, 'a to acquire');
    const b = startChild(url, 'b');
    children.push(b);
    await until(() => b.find(event('started')), 30_000, 'b to start contending');
    // b is blocked in pg_advisory_lock while a holds it
    await until(async () => (await rows(url, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'gridwatch-lease-b' AND wait_event_type = 'Lock'")).length > 0, 10_000, 'b to wait on the lock');
    expect(b.find(event('acquired'))).toBeUndefined();
    const killedAt = Date.now();
    a.proc.kill('SIGKILL');
    const took = await until(() => b.find(event('acquired')), 10_000, 'b to take over');
    console.info(`lease hand-over after kill -9: ${Number(took.at) - killedAt} ms`);
    expect(took.epoch).toBe(Number(got.epoch) + 1);
    await until(() => b.find((l) => l.event === 'write' && l.via === 'acquired'), 10_000, "b's fenced write");
    expect(b.find((l) => l.event === 'write' && l.via === 'acquired')?.ok).toBe(true);
    expect(await rows(url, 'SELECT name, epoch::int AS epoch, holder FROM gw_lease')).toEqual([{ name: 'rules', epoch: Number(took.epoch), holder: 'b' }]);
  }, 90_000);

  it('SIGSTOP of the holder: the lease moves; on SIGCONT its fenced writes are refused and it reports lost', async () => {
    const url = await freshDb();
    const a = startChild(url, 'a');
    children.push(a);
    const got = await until(() => a.find(event('acquired')), 30_000, 'a to acquire');
    await until(() => a.find((l) => l.event === 'write' && l.via === 'acquired'), 10_000, "a's first fenced write");
    const b = startChild(url, 'b');
    children.push(b);
    await until(() => b.find(event('started')), 30_000, 'b to start contending');
    await stopProcess(a.proc.pid as number);
    const stoppedAt = Date.now();
    const took = await until(() => b.find(event('acquired')), 30_000, 'b to take over from the frozen holder');
    console.info(`lease hand-over after SIGSTOP (leaseMs ${LEASE_MS}): ${Number(took.at) - stoppedAt} ms`);
    expect(took.epoch).toBe(Number(got.epoch) + 1);
    await until(() => b.find((l) => l.event === 'write' && l.via === 'acquired'), 10_000, "b's fenced write");

    a.proc.kill('SIGCONT');
    await until(() => a.find(event('lost')), 15_000, 'a to report the lease lost');
    const viaLease = await until(() => a.find((l) => l.event === 'write' && l.via === 'lease'), 15_000, "a's write through its lease");
    const viaStale = await until(() => a.find((l) => l.event === 'write' && l.via === 'stale-epoch'), 15_000, "a's write with its old epoch");
    expect(viaLease).toMatchObject({ ok: false, code: 'GW_ERR_LEASE_LOST' });
    expect(viaStale).toMatchObject({ ok: false, code: 'GW_ERR_LEASE_LOST' });
    expect(String(viaStale.message)).toContain(`holds epoch ${String(got.epoch)} but the lease is at ${String(took.epoch)}`);
    // a wrote once, while it led; nothing after the freeze
    expect(await rows(url, 'SELECT holder, epoch::int AS epoch, via FROM gw_test_writes ORDER BY holder')).toEqual([
      { holder: 'a', epoch: Number(got.epoch), via: 'acquired' },
      { holder: 'b', epoch: Number(took.epoch), via: 'acquired' },
    ]);
    // and it does not lead again while b holds the lease
    expect(a.lines.filter(event('acquired'))).toHaveLength(1);
  }, 90_000);

  it('SIGSTOP of the holder in the middle of a fenced write (its transaction open, gw_lease locked FOR SHARE): the lease still moves', async () => {
    const url = await freshDb();
    const a = startChild(url, 'a', { GW_TEST_HOLD_TX: '1' });
    children.push(a);
    const got = await until(() => a.find(event('acquired')), 30_000, 'a to acquire');
    await until(() => a.find(event('in-tx')), 10_000, 'a inside its fenced write');
    const b = startChild(url, 'b');
    children.push(b);
    await until(() => b.find(event('started')), 30_000, 'b to start contending');
    await stopProcess(a.proc.pid as number);
    const stoppedAt = Date.now();
    // the server ends a's idle session (the lock) and a's open transaction (the row lock b's epoch bump needs)
    const took = await until(() => b.find(event('acquired')), 30_000, 'b to take over from the holder frozen mid-write');
    console.info(`lease hand-over after SIGSTOP mid-transaction (leaseMs ${LEASE_MS}): ${Number(took.at) - stoppedAt} ms`);
    expect(took.epoch).toBe(Number(got.epoch) + 1);
    await until(() => b.find((l) => l.event === 'write' && l.via === 'acquired'), 10_000, "b's fenced write");
    // a's write never committed: its transaction was ended with its session
    expect(await rows(url, 'SELECT holder, epoch::int AS epoch, via FROM gw_test_writes ORDER BY holder')).toEqual([{ holder: 'b', epoch: Number(took.epoch), via: 'acquired' }]);
  }, 90_000);

  it('fenced writes: the epoch held is accepted, an older one is refused and writes nothing', async () => {
    const url = await freshDb();
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => undefined); // idle sessions ended by the server's shutdown at cleanup
    const first = new Lease({ name: 'rules', holder: 'one', connection: url, leaseMs: LEASE_MS });
    const second = new Lease({ name: 'rules', holder: 'two', connection: url, leaseMs: LEASE_MS });
    try {
      first.start();
      const e1 = await new Promise<number>((r) => first.once('acquired', r));
      const insert = (via: string) => (c: pg.PoolClient) => c.query("INSERT INTO gw_test_writes (holder, epoch, via) VALUES ('x', 0, $1)", [via]);
      await fencedTransaction(pool, first, insert('held'));
      second.start();
      const lost = new Promise<string>((r) => first.once('lost', r));
      const took = new Promise<number>((r) => second.once('acquired', r));
      await first.stop(); // ends the session: the waiter gets the lock
      expect(await lost).toBe('stopped');
      const e2 = await took;
      expect(e2).toBe(e1 + 1);
      await expect(fencedTransaction(pool, { name: 'rules', epoch: () => e1 }, insert('stale'))).rejects.toMatchObject({ code: 'GW_ERR_LEASE_LOST' });
      await expect(fencedTransaction(pool, first, insert('not-leading'))).rejects.toMatchObject({ code: 'GW_ERR_LEASE_LOST' });
      await fencedTransaction(pool, second, insert('new-holder'));
      expect((await pool.query('SELECT via FROM gw_test_writes ORDER BY via')).rows).toEqual([{ via: 'held' }, { via: 'new-holder' }]);
    } finally {
      await second.stop();
      await first.stop();
      await pool.end();
    }
  }, 60_000);
});
