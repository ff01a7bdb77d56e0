// The case store of single mode: one SQLite file (WAL). better-sqlite3 is synchronous; the async
// interface is kept by serialising writes per file (a transaction spans awaits, so another write
// must not slip into it). Every change is one transaction, so a SIGKILL leaves all of it or none.
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { AlertCase, AlertFilter, LedgerEntry, Silence } from '../core/alert-types.js';
import { ensurePrivateFile } from '../core/files.js';
import { Serial } from '../core/serial.js';
import { startCheckpointer } from './checkpoint.js';
import type { PlannedStep } from './escalation.js';
import { caseConflict, COMMAND_OUTCOMES, type CaseOps, type CaseStore, type DueEscalation, type NewLedgerEntry, type UnsettledCommand } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cases (
  id TEXT PRIMARY KEY, device TEXT NOT NULL, rule TEXT NOT NULL, state TEXT NOT NULL,
  severity TEXT NOT NULL, grid TEXT NOT NULL, opened_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  resolved_at INTEGER, body TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS cases_one_active ON cases(device, rule) WHERE state IN ('open', 'acknowledged');
CREATE UNIQUE INDEX IF NOT EXISTS cases_one_incident ON cases(device, coalesce(json_extract(body, '$.incident'), rule)) WHERE state IN ('open', 'acknowledged');
CREATE INDEX IF NOT EXISTS cases_opened ON cases(opened_at);
CREATE TABLE IF NOT EXISTS ledger (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, case_id TEXT NOT NULL, ts INTEGER NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, note TEXT, data TEXT);
CREATE INDEX IF NOT EXISTS ledger_case ON ledger(case_id, seq);
CREATE TABLE IF NOT EXISTS escalations (
  case_id TEXT NOT NULL, step INTEGER NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (case_id, step));
CREATE INDEX IF NOT EXISTS escalations_due ON escalations(due_at);
CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, until INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commands (id TEXT PRIMARY KEY, case_id TEXT NOT NULL, device TEXT NOT NULL, sent_at INTEGER NOT NULL);
`;

interface CaseRow { body: string }
interface LedgerRow { seq: number; case_id: string; ts: number; actor: string; action: string; note: string | null; data: string | null }

/** one write queue per file, shared by every store open on it in this process */
const queues = new Map<string, { serial: Serial; users: number }>();

const parse = (row: CaseRow | undefined): AlertCase | undefined => (row ? (JSON.parse(row.body) as AlertCase) : undefined);

/** The synchronous queries; SqliteCaseStore wraps them in promises. */
class SqliteOps {
  /** prepared once: an alarm's case writes and reads run a dozen statements */
  private readonly statements = new Map<string, Database.Statement>();
  // a savepoint inside a transaction: the check and the write are one step for other processes too
  private readonly saveTx: (c: AlertCase, expectedUpdatedAt: number | undefined) => void;

  constructor(readonly db: Database.Database) {
    this.saveTx = db.transaction((c: AlertCase, expectedUpdatedAt: number | undefined) => this.checkAndSave(c, expectedUpdatedAt));
  }

  private prepare(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  saveCase(c: AlertCase, expectedUpdatedAt?: number): void {
    this.saveTx(c, expectedUpdatedAt);
  }

  private checkAndSave(c: AlertCase, expectedUpdatedAt: number | undefined): void {
    if (expectedUpdatedAt !== undefined) {
      const row = this.prepare('SELECT updated_at AS at FROM cases WHERE id = ?').get(c.id) as { at: number } | undefined;
      if (row?.at !== expectedUpdatedAt) throw caseConflict(c, 'changed');
    }
    try {
      this.prepare(`INSERT INTO cases (id, device, rule, state, severity, grid, opened_at, updated_at, resolved_at, body)
        VALUES (@id, @device, @rule, @state, @severity, @grid, @openedAt, @updatedAt, @resolvedAt, @body)
        ON CONFLICT(id) DO UPDATE SET rule = excluded.rule, state = excluded.state, severity = excluded.severity, updated_at = excluded.updated_at, resolved_at = excluded.resolved_at, body = excluded.body`)
        .run({ id: c.id, device: c.device, rule: c.rule, state: c.state, severity: c.severity, grid: c.grid, openedAt: c.openedAt, updatedAt: c.updatedAt, resolvedAt: c.resolvedAt ?? null, body: JSON.stringify(c) });
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw caseConflict(c, 'duplicate');
      throw e;
    }
  }

  getCase(id: string): AlertCase | undefined {
    return parse(this.prepare('SELECT body FROM cases WHERE id = ?').get(id) as CaseRow | undefined);
  }

  incidentCase(device: string, incident: string, where: string, ...args: unknown[]): AlertCase | undefined {
    return parse(this.prepare(`SELECT body FROM cases WHERE device = ? AND coalesce(json_extract(body, '$.incident'), rule) = ? AND ${where} LIMIT 1`).get(device, incident, ...args) as CaseRow | undefined);
  }

  activeCases(): AlertCase[] {
    return (this.prepare("SELECT body FROM cases WHERE state IN ('open', 'acknowledged')").all() as CaseRow[]).map((r) => JSON.parse(r.body) as AlertCase);
  }

  listCases(f: AlertFilter): AlertCase[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const inList = (col: string, vals: readonly string[] | undefined): void => {
      if (!vals || vals.length === 0) return;
      where.push(`${col} IN (${vals.map(() => '?').join(', ')})`);
      args.push(...vals);
    };
    inList('state', f.state);
    inList('severity', f.severity);
    inList('grid', f.grids);
    if (f.device !== undefined) { where.push('device = ?'); args.push(f.device); }
    if (f.from !== undefined) { where.push('opened_at >= ?'); args.push(f.from); }
    if (f.to !== undefined) { where.push('opened_at < ?'); args.push(f.to); }
    const sql = `SELECT body FROM cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, id DESC LIMIT ?`;
    args.push(Math.max(1, Math.min(f.limit ?? 200, 5000)));
    return (this.db.prepare(sql).all(...args) as CaseRow[]).map((r) => JSON.parse(r.body) as AlertCase);
  }

  addLedger(e: NewLedgerEntry): LedgerEntry {
    const info = this.prepare('INSERT INTO ledger (case_id, ts, actor, action, note, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.caseId, e.ts, e.actor, e.action, e.note ?? null, e.data === undefined ? null : JSON.stringify(e.data));
    return { ...e, seq: Number(info.lastInsertRowid) };
  }

  ledger(caseId: string): LedgerEntry[] {
    return (this.prepare('SELECT * FROM ledger WHERE case_id = ? ORDER BY seq').all(caseId) as LedgerRow[]).map((r) => ({
      seq: r.seq, caseId: r.case_id, ts: r.ts, actor: r.actor, action: r.action as LedgerEntry['action'],
      ...(r.note === null ? {} : { note: r.note }), ...(r.data === null ? {} : { data: JSON.parse(r.data) as Record<string, unknown> }),
    }));
  }

  planEscalations(caseId: string, steps: readonly PlannedStep[]): void {
    const ins = this.prepare('INSERT OR REPLACE INTO escalations (case_id, step, due_at) VALUES (?, ?, ?)');
    for (const s of steps) ins.run(caseId, s.step, s.at);
  }

  cancelEscalations(caseId: string): number {
    return this.prepare('DELETE FROM escalations WHERE case_id = ?').run(caseId).changes;
  }

  dropEscalation(caseId: string, step: number): void {
    this.prepare('DELETE FROM escalations WHERE case_id = ? AND step = ?').run(caseId, step);
  }

  dueEscalations(now: number): DueEscalation[] {
    return (this.prepare('SELECT case_id, step, due_at FROM escalations WHERE due_at <= ? ORDER BY due_at, step').all(now) as { case_id: string; step: number; due_at: number }[])
      .map((r) => ({ caseId: r.case_id, step: r.step, at: r.due_at }));
  }

  pendingEscalations(caseId: string): PlannedStep[] {
    return (this.prepare('SELECT step, due_at FROM escalations WHERE case_id = ? ORDER BY step').all(caseId) as { step: number; due_at: number }[]).map((r) => ({ step: r.step, at: r.due_at }));
  }

  nextEscalationAt(): number | undefined {
    const row = this.prepare('SELECT MIN(due_at) AS at FROM escalations').get() as { at: number | null };
    return row.at ?? undefined;
  }

  saveSilence(s: Silence): void {
    this.prepare('INSERT OR REPLACE INTO silences (id, until, body) VALUES (?, ?, ?)').run(s.id, s.until, JSON.stringify(s));
  }

  deleteSilence(id: string): boolean {
    return this.prepare('DELETE FROM silences WHERE id = ?').run(id).changes > 0;
  }

  silences(): Silence[] {
    return (this.prepare('SELECT body FROM silences ORDER BY until').all() as CaseRow[]).map((r) => JSON.parse(r.body) as Silence);
  }

  saveCommand(id: string, caseId: string, device: string, sentAt: number): void {
    this.prepare('INSERT OR REPLACE INTO commands (id, case_id, device, sent_at) VALUES (?, ?, ?, ?)').run(id, caseId, device, sentAt);
  }

  commandCase(id: string): { caseId: string; device: string } | undefined {
    const row = this.prepare('SELECT case_id, device FROM commands WHERE id = ?').get(id) as { case_id: string; device: string } | undefined;
    return row ? { caseId: row.case_id, device: row.device } : undefined;
  }

  unsettledCommands(): UnsettledCommand[] {
    const rows = this.db.prepare(`
      SELECT c.id, c.case_id, c.device, c.sent_at, l.data,
        (SELECT count(*) FROM ledger r WHERE r.case_id = c.case_id AND r.action = 'command_retried' AND json_extract(r.data, '$.commandId') = c.id) AS retries
      FROM commands c
      JOIN ledger l ON l.case_id = c.case_id AND l.action = 'command_sent' AND json_extract(l.data, '$.command.id') = c.id
      WHERE NOT EXISTS (SELECT 1 FROM ledger s WHERE s.case_id = c.case_id AND s.action IN (${COMMAND_OUTCOMES.map(() => '?').join(', ')}) AND json_extract(s.data, '$.commandId') = c.id)
      ORDER BY c.sent_at, c.id`).all(...COMMAND_OUTCOMES) as { id: string; case_id: string; device: string; sent_at: number; data: string; retries: number }[];
    return rows.map((r) => ({ id: r.id, caseId: r.case_id, device: r.device, sentAt: r.sent_at, command: (JSON.parse(r.data) as { command: Record<string, unknown> }).command, sends: 1 + r.retries }));
  }
}

/** The async face of the queries; `write` decides how a write is run (queued, or inside the transaction). */
function asyncOps(q: SqliteOps, write: <T>(fn: () => T) => Promise<T>): CaseOps {
  const read = async <T>(fn: () => T): Promise<T> => fn();
  return {
    saveCase: (c, expected) => write(() => q.saveCase(c, expected)),
    getCase: (id) => read(() => q.getCase(id)),
    activeIncident: (device, incident) => read(() => q.incidentCase(device, incident, "state IN ('open', 'acknowledged') ORDER BY opened_at DESC")),
    recentlyResolvedIncident: (device, incident, since) => read(() => q.incidentCase(device, incident, "state = 'resolved' AND resolved_at >= ? ORDER BY resolved_at DESC", since)),
    latestIncident: (device, incident) => read(() => q.incidentCase(device, incident, "state != 'closed' ORDER BY updated_at DESC")),
    activeCases: () => read(() => q.activeCases()),
    listCases: (f) => read(() => q.listCases(f)),
    addLedger: (e) => write(() => q.addLedger(e)),
    ledger: (caseId) => read(() => q.ledger(caseId)),
    planEscalations: (caseId, steps) => write(() => q.planEscalations(caseId, steps)),
    cancelEscalations: (caseId) => write(() => q.cancelEscalations(caseId)),
    dropEscalation: (caseId, step) => write(() => q.dropEscalation(caseId, step)),
    dueEscalations: (now) => read(() => q.dueEscalations(now)),
    pendingEscalations: (caseId) => read(() => q.pendingEscalations(caseId)),
    nextEscalationAt: () => read(() => q.nextEscalationAt()),
    saveSilence: (s) => write(() => q.saveSilence(s)),
    deleteSilence: (id) => write(() => q.deleteSilence(id)),
    silences: () => read(() => q.silences()),
    saveCommand: (id, caseId, device, sentAt) => write(() => q.saveCommand(id, caseId, device, sentAt)),
    commandCase: (id) => read(() => q.commandCase(id)),
    unsettledCommands: () => read(() => q.unsettledCommands()),
  };
}

export interface SqliteCaseStore extends CaseStore {
  readonly db: Database.Database;
}

/** Opens (creating if needed, owner-only 0600) the SQLite case store at `file`. */
export function openSqliteCaseStore(file: string): SqliteCaseStore {
  ensurePrivateFile(file); // cases name people and places: owner-only (0600)
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  // checkpoints run in a worker thread (checkpoint.ts), not in the commit of whichever alarm crosses 1,000 pages
  db.pragma('wal_autocheckpoint = 0');
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const checkpoints = startCheckpointer(resolve(file), () => {
    if (db.open) db.pragma('wal_autocheckpoint = 1000');
  });
  const key = resolve(file);
  const queue = queues.get(key) ?? { serial: new Serial(), users: 0 };
  queue.users++;
  queues.set(key, queue);
  const q = new SqliteOps(db);
  const inTx = asyncOps(q, async (fn) => fn());
  const outer = asyncOps(q, (fn) => queue.serial.run(fn));
  let closed = false;
  return {
    ...outer,
    kind: 'sqlite',
    db,
    tx: (fn) => queue.serial.run(async () => {
      begin.run();
      try {
        const result = await fn(inTx);
        commit.run();
        checkpoints.committed();
        return result;
      } catch (e) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw e;
      }
    }),
    close: async () => {
      if (closed) return;
      closed = true;
      await queue.serial.idle();
      await checkpoints.close();
      if (--queue.users === 0) queues.delete(key);
      if (db.open) db.close();
    },
  };
}
