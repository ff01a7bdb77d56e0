// The durable side of alerting: cases, ledger, pending escalation deadlines, silences and sent
// commands in one SQLite file (WAL). Every change is one transaction, so a SIGKILL leaves either
// the whole change or none of it.
import { ensurePrivateFile } from '../core/files.js';
import Database from 'better-sqlite3';
import type { AlertCase, AlertFilter, LedgerEntry, Silence } from '../core/alert-types.js';
import type { PlannedStep } from './escalation.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cases (
  id TEXT PRIMARY KEY, device TEXT NOT NULL, rule TEXT NOT NULL, state TEXT NOT NULL,
  severity TEXT NOT NULL, grid TEXT NOT NULL, opened_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  resolved_at INTEGER, body TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS cases_one_active ON cases(device, rule) WHERE state IN ('open', 'acknowledged');
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

export type NewLedgerEntry = Omit<LedgerEntry, 'seq'>;

export class AlertStore {
  readonly db: Database.Database;

  constructor(file: string) {
    ensurePrivateFile(file); // cases name people and places: owner-only (0600)
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  saveCase(c: AlertCase): void {
    this.db.prepare(`INSERT INTO cases (id, device, rule, state, severity, grid, opened_at, updated_at, resolved_at, body)
      VALUES (@id, @device, @rule, @state, @severity, @grid, @openedAt, @updatedAt, @resolvedAt, @body)
      ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, resolved_at = excluded.resolved_at, body = excluded.body`)
      .run({ id: c.id, device: c.device, rule: c.rule, state: c.state, severity: c.severity, grid: c.grid, openedAt: c.openedAt, updatedAt: c.updatedAt, resolvedAt: c.resolvedAt ?? null, body: JSON.stringify(c) });
  }

  getCase(id: string): AlertCase | undefined {
    const row = this.db.prepare('SELECT body FROM cases WHERE id = ?').get(id) as CaseRow | undefined;
    return row ? (JSON.parse(row.body) as AlertCase) : undefined;
  }

  /** The open or acknowledged case of (device, incident): the rules' hazard, or the rule id for cases before incidents. */
  activeIncident(device: string, incident: string): AlertCase | undefined {
    return this.incidentCase(device, incident, "state IN ('open', 'acknowledged') ORDER BY opened_at DESC");
  }

  /** The latest resolved (not closed) case of (device, incident) resolved at or after `since`. */
  recentlyResolvedIncident(device: string, incident: string, since: number): AlertCase | undefined {
    return this.incidentCase(device, incident, "state = 'resolved' AND resolved_at >= ? ORDER BY resolved_at DESC", since);
  }

  /** The latest case of (device, incident) in any state but closed (a case resolved by hand while its condition held). */
  latestIncident(device: string, incident: string): AlertCase | undefined {
    return this.incidentCase(device, incident, "state != 'closed' ORDER BY updated_at DESC");
  }

  private incidentCase(device: string, incident: string, where: string, ...args: unknown[]): AlertCase | undefined {
    const row = this.db.prepare(`SELECT body FROM cases WHERE device = ? AND coalesce(json_extract(body, '$.incident'), rule) = ? AND ${where} LIMIT 1`).get(device, incident, ...args) as CaseRow | undefined;
    return row ? (JSON.parse(row.body) as AlertCase) : undefined;
  }

  activeCases(): AlertCase[] {
    return (this.db.prepare("SELECT body FROM cases WHERE state IN ('open', 'acknowledged')").all() as CaseRow[]).map((r) => JSON.parse(r.body) as AlertCase);
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
    const info = this.db.prepare('INSERT INTO ledger (case_id, ts, actor, action, note, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.caseId, e.ts, e.actor, e.action, e.note ?? null, e.data === undefined ? null : JSON.stringify(e.data));
    return { ...e, seq: Number(info.lastInsertRowid) };
  }

  ledger(caseId: string): LedgerEntry[] {
    return (this.db.prepare('SELECT * FROM ledger WHERE case_id = ? ORDER BY seq').all(caseId) as LedgerRow[]).map((r) => ({
      seq: r.seq, caseId: r.case_id, ts: r.ts, actor: r.actor, action: r.action as LedgerEntry['action'],
      ...(r.note === null ? {} : { note: r.note }), ...(r.data === null ? {} : { data: JSON.parse(r.data) as Record<string, unknown> }),
    }));
  }

  planEscalations(caseId: string, steps: readonly PlannedStep[]): void {
    const ins = this.db.prepare('INSERT OR REPLACE INTO escalations (case_id, step, due_at) VALUES (?, ?, ?)');
    for (const s of steps) ins.run(caseId, s.step, s.at);
  }

  /** Cancels every pending step of a case at once. */
  cancelEscalations(caseId: string): number {
    return this.db.prepare('DELETE FROM escalations WHERE case_id = ?').run(caseId).changes;
  }

  dropEscalation(caseId: string, step: number): void {
    this.db.prepare('DELETE FROM escalations WHERE case_id = ? AND step = ?').run(caseId, step);
  }

  dueEscalations(now: number): { caseId: string; step: number; at: number }[] {
    return (this.db.prepare('SELECT case_id, step, due_at FROM escalations WHERE due_at <= ? ORDER BY due_at, step').all(now) as { case_id: string; step: number; due_at: number }[])
      .map((r) => ({ caseId: r.case_id, step: r.step, at: r.due_at }));
  }

  pendingEscalations(caseId: string): PlannedStep[] {
    return (this.db.prepare('SELECT step, due_at FROM escalations WHERE case_id = ? ORDER BY step').all(caseId) as { step: number; due_at: number }[]).map((r) => ({ step: r.step, at: r.due_at }));
  }

  nextEscalationAt(): number | undefined {
    const row = this.db.prepare('SELECT MIN(due_at) AS at FROM escalations').get() as { at: number | null };
    return row.at ?? undefined;
  }

  saveSilence(s: Silence): void {
    this.db.prepare('INSERT OR REPLACE INTO silences (id, until, body) VALUES (?, ?, ?)').run(s.id, s.until, JSON.stringify(s));
  }

  deleteSilence(id: string): boolean {
    return this.db.prepare('DELETE FROM silences WHERE id = ?').run(id).changes > 0;
  }

  silences(): Silence[] {
    return (this.db.prepare('SELECT body FROM silences ORDER BY until').all() as CaseRow[]).map((r) => JSON.parse(r.body) as Silence);
  }

  saveCommand(id: string, caseId: string, device: string, sentAt: number): void {
    this.db.prepare('INSERT OR REPLACE INTO commands (id, case_id, device, sent_at) VALUES (?, ?, ?, ?)').run(id, caseId, device, sentAt);
  }

  commandCase(id: string): { caseId: string; device: string } | undefined {
    const row = this.db.prepare('SELECT case_id, device FROM commands WHERE id = ?').get(id) as { case_id: string; device: string } | undefined;
    return row ? { caseId: row.case_id, device: row.device } : undefined;
  }
}
