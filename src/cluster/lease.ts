// The rules leader's lease: a PostgreSQL advisory lock held on a session of its own.
//
// Why this shape (shared/cluster.md, measured): a waiter blocked in pg_advisory_lock gets the lock
// within milliseconds of the holder's kill -9 (the server sees the socket close). A FROZEN holder
// (SIGSTOP, a VM pause) would keep it forever, so the session sets `idle_session_timeout`: the
// server ends a session idle that long, and a live holder stays busy with a heartbeat well inside
// it. The holder that wakes up believes it still leads until its next query fails; so every
// take-over bumps an epoch in gw_lease, and writes made on the leader's behalf are fenced with it
// (`fencedTransaction`, and cl-cases' PostgreSQL store): a stale epoch is refused.
// Behind a transaction-mode pooler (pgbouncer) advisory locks do not work: connect directly.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Fence } from '../core/fence.js';
import type { Logger } from '../core/logger.js';

/** The advisory-lock class for leases: the (int4, int4) key space never overlaps a store's bigint keys. */
const LEASE_LOCK_CLASS = 0x67774c53; // 'gwLS'
/**
 * held while creating gw_lease, so two hubs starting together do not race on the catalog; the
 * case store's schema lock (src/alerts/store-pg.ts), since that store creates gw_lease too
 */
const SCHEMA_LOCK = 0x67770003;

export const LEASE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS gw_lease (
  name text PRIMARY KEY,
  epoch bigint NOT NULL,
  holder text NOT NULL,
  acquired_at timestamptz NOT NULL
)`;

export interface LeaseOptions {
  /** the lease's name (row in gw_lease), e.g. 'rules' */
  name: string;
  /** who holds it (the hub id), written to gw_lease.holder */
  holder: string;
  /** connection settings for the lease's own session (never a pooled connection) */
  connection: string | pg.ClientConfig;
  /** a holder that stops answering loses the lease after about this long (idle_session_timeout) */
  leaseMs: number;
  /** heartbeat period on the holder's session; default leaseMs / 3 */
  heartbeatMs?: number;
  /** pause before contending again after an error or a loss; default 500 ms */
  retryMs?: number;
  logger?: Logger;
}

export interface LeaseEvents {
  acquired: [epoch: number];
  lost: [reason: string];
}

/**
 * Contends for the lease from start() until stop(): emits `acquired(epoch)` on take-over and
 * `lost(reason)` when the holder's session fails (then it contends again). It is the leader's
 * Fence: epoch() is the held epoch, undefined while not leading or once the last heartbeat is
 * older than leaseMs (the server has ended that session by then).
 */
export class Lease extends EventEmitter<LeaseEvents> implements Fence {
  readonly name: string;
  private client: pg.Client | undefined;
  private held: number | undefined;
  private lastOk = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private running = false;
  private readonly heartbeatMs: number;

  constructor(private readonly opts: LeaseOptions) {
    super();
    this.name = opts.name;
    this.heartbeatMs = opts.heartbeatMs ?? Math.max(100, Math.floor(opts.leaseMs / 3));
    if (this.heartbeatMs >= opts.leaseMs) throw new RangeError(`lease heartbeatMs (${this.heartbeatMs}) must be shorter than leaseMs (${opts.leaseMs})`);
  }

  get leading(): boolean {
    return this.epoch() !== undefined;
  }

  epoch(): number | undefined {
    if (this.held === undefined) return undefined;
    // a process that was frozen longer than the lease cannot still hold it: refuse before asking
    return performance.now() - this.lastOk < this.opts.leaseMs ? this.held : undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.contend();
  }

  /** Stops contending; a holder ends its session, which releases the lock at once. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.retry) clearTimeout(this.retry);
    await this.drop('stopped');
  }

  private async contend(): Promise<void> {
    if (!this.running) return;
    const base: pg.ClientConfig = typeof this.opts.connection === 'string' ? { connectionString: this.opts.connection } : this.opts.connection;
    const client = new pg.Client({ ...base, application_name: `gridwatch-lease-${this.opts.holder}` });
    this.client = client;
    client.on('error', (err) => void this.drop(`session failed: ${err.message}`, client));
    client.on('end', () => void this.drop('session ended', client));
    try {
      await client.connect();
      // a dead waiter's backend notices its closed socket while still blocked in the lock
      await client.query('SET client_connection_check_interval = 1000');
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(LEASE_TABLE_SQL);
      await client.query('COMMIT');
      // blocks until the holder's session ends (kill -9, idle timeout, stop())
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LEASE_LOCK_CLASS, this.opts.name]);
      // idle this long without a query and the server ends the session, releasing the lock
      await client.query(`SET idle_session_timeout = ${Math.floor(this.opts.leaseMs)}`);
      const { rows } = await client.query<{ epoch: string }>(
        `INSERT INTO gw_lease (name, epoch, holder, acquired_at) VALUES ($1, 1, $2, now())
         ON CONFLICT (name) DO UPDATE SET epoch = gw_lease.epoch + 1, holder = EXCLUDED.holder, acquired_at = now()
         RETURNING epoch`, [this.opts.name, this.opts.holder]);
      if (this.client !== client || !this.running) return; // stopped or failed meanwhile
      this.held = Number(rows[0]?.epoch);
      this.lastOk = performance.now();
      this.opts.logger?.info({ lease: this.name, epoch: this.held, holder: this.opts.holder }, 'lease acquired: leading');
      this.heartbeat = setTimeout(() => void this.beat(client), this.heartbeatMs);
      this.emit('acquired', this.held);
    } catch (e) {
      await this.drop(`session failed: ${e instanceof Error ? e.message : String(e)}`, client);
    }
  }

  private async beat(client: pg.Client): Promise<void> {
    if (this.client !== client || this.held === undefined) return;
    // the local check first: after a freeze longer than the lease the server has ended the session
    if (performance.now() - this.lastOk >= this.opts.leaseMs) {
      await this.drop('heartbeat overdue (process stalled)', client);
      return;
    }
    try {
      const timeout = new Promise<never>((_, reject) => {
        const t = setTimeout(() => reject(new Error(`heartbeat unanswered for ${this.opts.leaseMs} ms`)), this.opts.leaseMs);
        t.unref();
      });
      const { rows } = await Promise.race([client.query<{ epoch: string }>('SELECT epoch FROM gw_lease WHERE name = $1', [this.name]), timeout]);
      if (this.client !== client) return;
      if (Number(rows[0]?.epoch) !== this.held) {
        await this.drop(`epoch moved to ${rows[0]?.epoch ?? 'none'}`, client);
        return;
      }
      this.lastOk = performance.now();
      this.heartbeat = setTimeout(() => void this.beat(client), this.heartbeatMs);
    } catch (e) {
      await this.drop(`heartbeat failed: ${e instanceof Error ? e.message : String(e)}`, client);
    }
  }

  /** Ends the session (releasing the lock), reports `lost` if it led, and contends again unless stopped. */
  private async drop(reason: string, client = this.client): Promise<void> {
    if (!client || this.client !== client) return;
    this.client = undefined;
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
    const was = this.held;
    this.held = undefined;
    if (was !== undefined) {
      this.opts.logger?.warn({ lease: this.name, epoch: was, reason }, 'lease lost: no longer leading');
      this.emit('lost', reason);
    } else if (this.running) {
      this.opts.logger?.warn({ lease: this.name, reason }, 'lease session failed; contending again');
    }
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    await client.end().catch(() => undefined);
    if (this.running) {
      this.retry = setTimeout(() => void this.contend(), this.opts.retryMs ?? 500);
    }
  }
}
