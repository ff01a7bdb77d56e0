// The case store of cluster mode: PostgreSQL through the hub's pg.Pool, shared by every hub. The
// tables (gw_cases, gw_case_ledger, gw_case_escalations, gw_case_silences, gw_case_commands) are
// created at open under an advisory transaction lock, since hubs starting together would race on
// the catalog. One open case per (device, incident) is a partial unique index. A fenced
// transaction (the rules leader's writes) first reads its lease in gw_lease FOR SHARE and writes
// nothing unless the fence still holds the current epoch: a leader that froze and woke up after
// another hub took over cannot write. PostgreSQL out of reach answers GW_ERR_CLUSTER_UNAVAILABLE
// (503, retryable), like the cluster's other stores.
import type pg from 'pg';
import type { AlertCase, AlertFilter, LedgerEntry, Silence } from '../core/alert-types.js';
import { GridwatchError } from '../core/errors.js';
import type { Fence } from '../core/fence.js';
import { asUnavailable, withSchemaLock } from '../core/pg-feed.js';
import type { PlannedStep } from './escalation.js';
import { caseConflict, COMMAND_OUTCOMES, incidentKey, type CaseOps, type CaseStore, type DueEscalation, type NewLedgerEntry } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS gw_lease (name text PRIMARY KEY, epoch bigint NOT NULL, holder text NOT NULL, acquired_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS gw_cases (
  id text PRIMARY KEY, device text NOT NULL, rule text NOT NULL, incident text NOT NULL, state text NOT NULL,
  severity text NOT NULL, grid text NOT NULL, opened_at bigint NOT NULL, updated_at bigint NOT NULL,
  resolved_at bigint, body text NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS gw_cases_one_incident ON gw_cases (device, incident) WHERE state IN ('open', 'acknowledged');
CREATE INDEX IF NOT EXISTS gw_cases_opened ON gw_cases (opened_at);
CREATE INDEX IF NOT EXISTS gw_cases_device_incident ON gw_cases (device, incident);
CREATE TABLE IF NOT EXISTS gw_case_ledger (
  seq bigserial PRIMARY KEY, case_id text NOT NULL, ts bigint NOT NULL, actor text NOT NULL,
  action text NOT NULL, note text, data text);
CREATE INDEX IF NOT EXISTS gw_case_ledger_case ON gw_case_ledger (case_id, seq);
CREATE TABLE IF NOT EXISTS gw_case_escalations (case_id text NOT NULL, step integer NOT NULL, due_at bigint NOT NULL, PRIMARY KEY (case_id, step));
CREATE INDEX IF NOT EXISTS gw_case_escalations_due ON gw_case_escalations (due_at);
CREATE TABLE IF NOT EXISTS gw_case_silences (id text PRIMARY KEY, until bigint NOT NULL, body text NOT NULL);
CREATE TABLE IF NOT EXISTS gw_case_commands (id text PRIMARY KEY, case_id text NOT NULL, device text NOT NULL, sent_at bigint NOT NULL);
`;

/** pg_advisory_xact_lock id held while the alert cases' tables are created (registry ...01, API ...02) */
const SCHEMA_LOCK = 0x67770003;

/** a failure to reach PostgreSQL as GW_ERR_CLUSTER_UNAVAILABLE; our own typed errors and statement errors as they are */
const unavailable = (e: unknown, what: string): unknown => (e instanceof GridwatchError ? e : asUnavailable(e, what));

type Db = pg.Pool | pg.PoolClient;
interface BodyRow { body: string }
interface LedgerRow { seq: string; case_id: string; ts: string; actor: string; action: string; note: string | null; data: string | null }

const one = (rows: BodyRow[]): AlertCase | undefined => (rows[0] ? (JSON.parse(rows[0].body) as AlertCase) : undefined);
const all = <T>(rows: BodyRow[]): T[] => rows.map((r) => JSON.parse(r.body) as T);

function ops(db: Db): CaseOps {
  const q = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> => {
    try {
      return await db.query<R>(sql, params);
    } catch (e) {
      throw unavailable(e, 'alert cases');
    }
  };
  const incidentCase = async (device: string, incident: string, where: string, ...args: unknown[]): Promise<AlertCase | undefined> =>
    one((await q<BodyRow>(`SELECT body FROM gw_cases WHERE device = $1 AND incident = $2 AND ${where} LIMIT 1`, [device, incident, ...args])).rows);
  return {
    saveCase: async (c, expectedUpdatedAt) => {
      const cols = [c.id, c.device, c.rule, incidentKey(c), c.state, c.severity, c.grid, c.openedAt, c.updatedAt, c.resolvedAt ?? null, JSON.stringify(c)];
      try {
        if (expectedUpdatedAt === undefined) {
          await q(`INSERT INTO gw_cases (id, device, rule, incident, state, severity, grid, opened_at, updated_at, resolved_at, body)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, incident = excluded.incident, state = excluded.state, severity = excluded.severity,
              updated_at = excluded.updated_at, resolved_at = excluded.resolved_at, body = excluded.body`, cols);
          return;
        }
        // compare-and-set: under READ COMMITTED the WHERE is re-checked after a concurrent writer commits
        const r = await q('UPDATE gw_cases SET rule = $2, incident = $3, state = $4, severity = $5, updated_at = $6, resolved_at = $7, body = $8 WHERE id = $1 AND updated_at = $9',
          [c.id, c.rule, incidentKey(c), c.state, c.severity, c.updatedAt, c.resolvedAt ?? null, JSON.stringify(c), expectedUpdatedAt]);
        if (r.rowCount !== 1) throw caseConflict(c, 'changed');
      } catch (e) {
        if ((e as { code?: string; constraint?: string }).code === '23505') throw caseConflict(c, 'duplicate');
        throw e;
      }
    },
    getCase: async (id) => one((await q<BodyRow>('SELECT body FROM gw_cases WHERE id = $1', [id])).rows),
    activeIncident: (device, incident) => incidentCase(device, incident, "state IN ('open', 'acknowledged') ORDER BY opened_at DESC"),
    recentlyResolvedIncident: (device, incident, since) => incidentCase(device, incident, "state = 'resolved' AND resolved_at >= $3 ORDER BY resolved_at DESC", since),
    latestIncident: (device, incident) => incidentCase(device, incident, "state <> 'closed' ORDER BY updated_at DESC"),
    activeCases: async () => all<AlertCase>((await q<BodyRow>("SELECT body FROM gw_cases WHERE state IN ('open', 'acknowledged')")).rows),
    listCases: async (f: AlertFilter) => {
      const where: string[] = [];
      const args: unknown[] = [];
      const arg = (v: unknown): string => `$${args.push(v)}`;
      const inList = (col: string, vals: readonly string[] | undefined): void => {
        if (vals && vals.length > 0) where.push(`${col} = ANY(${arg([...vals])}::text[])`);
      };
      inList('state', f.state);
      inList('severity', f.severity);
      inList('grid', f.grids);
      if (f.device !== undefined) where.push(`device = ${arg(f.device)}`);
      if (f.from !== undefined) where.push(`opened_at >= ${arg(f.from)}`);
      if (f.to !== undefined) where.push(`opened_at < ${arg(f.to)}`);
      const limit = arg(Math.max(1, Math.min(f.limit ?? 200, 5000)));
      // COLLATE "C": the same id order as SQLite's byte-wise comparison
      const sql = `SELECT body FROM gw_cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, id COLLATE "C" DESC LIMIT ${limit}`;
      return all<AlertCase>((await q<BodyRow>(sql, args)).rows);
    },
    addLedger: async (e: NewLedgerEntry): Promise<LedgerEntry> => {
      const r = await q<{ seq: string }>('INSERT INTO gw_case_ledger (case_id, ts, actor, action, note, data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq',
        [e.caseId, e.ts, e.actor, e.action, e.note ?? null, e.data === undefined ? null : JSON.stringify(e.data)]);
      return { ...e, seq: Number(r.rows[0]?.seq) };
    },
    ledger: async (caseId) => (await q<LedgerRow>('SELECT * FROM gw_case_ledger WHERE case_id = $1 ORDER BY seq', [caseId])).rows.map((r) => ({
      seq: Number(r.seq), caseId: r.case_id, ts: Number(r.ts), actor: r.actor, action: r.action as LedgerEntry['action'],
      ...(r.note === null ? {} : { note: r.note }), ...(r.data === null ? {} : { data: JSON.parse(r.data) as Record<string, unknown> }),
    })),
    planEscalations: async (caseId, steps: readonly PlannedStep[]) => {
      if (steps.length === 0) return;
      await q(`INSERT INTO gw_case_escalations (case_id, step, due_at) SELECT $1, s, d FROM unnest($2::int[], $3::bigint[]) AS t(s, d)
        ON CONFLICT (case_id, step) DO UPDATE SET due_at = excluded.due_at`, [caseId, steps.map((s) => s.step), steps.map((s) => s.at)]);
    },
    cancelEscalations: async (caseId) => (await q('DELETE FROM gw_case_escalations WHERE case_id = $1', [caseId])).rowCount ?? 0,
    dropEscalation: async (caseId, step) => {
      await q('DELETE FROM gw_case_escalations WHERE case_id = $1 AND step = $2', [caseId, step]);
    },
    dueEscalations: async (now): Promise<DueEscalation[]> =>
      (await q<{ case_id: string; step: number; due_at: string }>('SELECT case_id, step, due_at FROM gw_case_escalations WHERE due_at <= $1 ORDER BY due_at, step', [now])).rows
        .map((r) => ({ caseId: r.case_id, step: r.step, at: Number(r.due_at) })),
    pendingEscalations: async (caseId) =>
      (await q<{ step: number; due_at: string }>('SELECT step, due_at FROM gw_case_escalations WHERE case_id = $1 ORDER BY step', [caseId])).rows.map((r) => ({ step: r.step, at: Number(r.due_at) })),
    nextEscalationAt: async () => {
      const at = (await q<{ at: string | null }>('SELECT MIN(due_at) AS at FROM gw_case_escalations')).rows[0]?.at;
      return at === null || at === undefined ? undefined : Number(at);
    },
    saveSilence: async (s: Silence) => {
      await q('INSERT INTO gw_case_silences (id, until, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET until = excluded.until, body = excluded.body', [s.id, s.until, JSON.stringify(s)]);
    },
    deleteSilence: async (id) => ((await q('DELETE FROM gw_case_silences WHERE id = $1', [id])).rowCount ?? 0) > 0,
    silences: async () => all<Silence>((await q<BodyRow>('SELECT body FROM gw_case_silences ORDER BY until')).rows),
    saveCommand: async (id, caseId, device, sentAt) => {
      await q(`INSERT INTO gw_case_commands (id, case_id, device, sent_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (id) DO UPDATE SET case_id = excluded.case_id, device = excluded.device, sent_at = excluded.sent_at`, [id, caseId, device, sentAt]);
    },
    commandCase: async (id) => {
      const row = (await q<{ case_id: string; device: string }>('SELECT case_id, device FROM gw_case_commands WHERE id = $1', [id])).rows[0];
      return row ? { caseId: row.case_id, device: row.device } : undefined;
    },
    unsettledCommands: async () => (await q<{ id: string; case_id: string; device: string; sent_at: string; data: string; retries: string }>(`
      SELECT c.id, c.case_id, c.device, c.sent_at, l.data,
        (SELECT count(*) FROM gw_case_ledger r WHERE r.case_id = c.case_id AND r.action = 'command_retried' AND r.data::jsonb ->> 'commandId' = c.id) AS retries
      FROM gw_case_commands c
      JOIN gw_case_ledger l ON l.case_id = c.case_id AND l.action = 'command_sent' AND l.data::jsonb #>> '{command,id}' = c.id
      WHERE NOT EXISTS (SELECT 1 FROM gw_case_ledger s WHERE s.case_id = c.case_id AND s.action = ANY($1::text[]) AND s.data::jsonb ->> 'commandId' = c.id)
      ORDER BY c.sent_at, c.id COLLATE "C"`, [[...COMMAND_OUTCOMES]])).rows.map((r) => ({
      id: r.id, caseId: r.case_id, device: r.device, sentAt: Number(r.sent_at),
      command: (JSON.parse(r.data) as { command: Record<string, unknown> }).command, sends: 1 + Number(r.retries),
    })),
  };
}

/** Throws GW_ERR_LEASE_LOST unless `fence` holds the lease's current epoch (inside the caller's transaction). */
async function checkFence(client: pg.PoolClient, fence: Fence): Promise<void> {
  const mine = fence.epoch();
  const row = (await client.query<{ epoch: string }>('SELECT epoch FROM gw_lease WHERE name = $1 FOR SHARE', [fence.name]).catch((e: unknown) => { throw unavailable(e, 'lease'); })).rows[0];
  const current = row === undefined ? undefined : Number(row.epoch);
  if (mine === undefined || current !== mine) {
    throw new GridwatchError('GW_ERR_LEASE_LOST', `lease '${fence.name}': this hub holds epoch ${mine ?? 'none'}, the lease is at ${current ?? 'none'}; the write was refused`, { details: { lease: fence.name, epoch: mine ?? null, current: current ?? null } });
  }
}

async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const reach = async <R>(step: () => Promise<R>): Promise<R> => {
    try {
      return await step();
    } catch (e) {
      throw unavailable(e, 'alert cases');
    }
  };
  // the statements inside `fn` map their own errors; the caller's errors pass through as they are
  const client = await reach(() => pool.connect());
  try {
    await reach(() => client.query('BEGIN'));
    const result = await fn(client);
    await reach(() => client.query('COMMIT'));
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** Opens the PostgreSQL case store on the hub's pool (the pool stays the hub's: close() does not end it). */
export async function openPgCaseStore(pool: pg.Pool): Promise<CaseStore> {
  await withSchemaLock(pool, SCHEMA_LOCK, async (client) => { await client.query(SCHEMA); });
  return {
    ...ops(pool),
    kind: 'postgres',
    tx: (fn, fence) => inTransaction(pool, async (client) => {
      if (fence) await checkFence(client, fence);
      return fn(ops(client));
    }),
    close: async () => undefined,
  };
}
