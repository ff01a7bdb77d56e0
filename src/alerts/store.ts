// The durable side of alerting behind one async interface: cases, ledger, pending escalation
// deadlines, silences and sent commands. Single mode keeps them in SQLite (store-sqlite.ts),
// cluster mode in PostgreSQL (store-pg.ts); tests/alerts/store-contract.test.ts runs the same
// suite against both. A change is made inside one `tx` so a crash leaves all of it or none.
import type { AlertCase, AlertFilter, LedgerEntry, Silence } from '../core/alert-types.js';
import { GridwatchError } from '../core/errors.js';
import type { Fence } from '../core/fence.js';
import type { PlannedStep } from './escalation.js';

export type NewLedgerEntry = Omit<LedgerEntry, 'seq'>;
export interface DueEscalation { caseId: string; step: number; at: number }
/** A sent command whose case ledger holds no outcome yet (no command_ack, command_unconfirmed or delivery_failed). */
export interface UnsettledCommand {
  id: string;
  caseId: string;
  device: string;
  sentAt: number;
  /** the payload as sent (its command_sent entry), the id included */
  command: Record<string, unknown>;
  /** sends the ledger shows: the first plus each command_retried */
  sends: number;
}

/** ledger actions that settle a sent command (data.commandId): nobody sends it again */
export const COMMAND_OUTCOMES = ['command_ack', 'command_unconfirmed', 'delivery_failed'] as const;

/** Reads and writes; inside `tx` they belong to the transaction. */
export interface CaseOps {
  /**
   * Inserts or updates a case. At most one case per (device, incident) is open or acknowledged:
   * a second one throws GW_ERR_ALERT_CONFLICT. With `expectedUpdatedAt` the stored case must still
   * carry that updatedAt (nobody changed it since it was read), else GW_ERR_ALERT_CONFLICT too.
   */
  saveCase(c: AlertCase, expectedUpdatedAt?: number): Promise<void>;
  getCase(id: string): Promise<AlertCase | undefined>;
  /** The open or acknowledged case of (device, incident): the rules' hazard, or the rule id for cases before incidents. */
  activeIncident(device: string, incident: string): Promise<AlertCase | undefined>;
  /** The latest resolved (not closed) case of (device, incident) resolved at or after `since`. */
  recentlyResolvedIncident(device: string, incident: string, since: number): Promise<AlertCase | undefined>;
  /** The latest case of (device, incident) in any state but closed (a case resolved by hand while its condition held). */
  latestIncident(device: string, incident: string): Promise<AlertCase | undefined>;
  activeCases(): Promise<AlertCase[]>;
  /** newest first (opened_at, then id), at most `limit` (default 200, 1..5000) */
  listCases(f: AlertFilter): Promise<AlertCase[]>;
  addLedger(e: NewLedgerEntry): Promise<LedgerEntry>;
  /** a case's ledger in the order it was written */
  ledger(caseId: string): Promise<LedgerEntry[]>;
  /** adds or replaces the deadlines of these steps */
  planEscalations(caseId: string, steps: readonly PlannedStep[]): Promise<void>;
  /** Cancels every pending step of a case at once; returns how many there were. */
  cancelEscalations(caseId: string): Promise<number>;
  dropEscalation(caseId: string, step: number): Promise<void>;
  /** steps due at or before `now`, earliest first */
  dueEscalations(now: number): Promise<DueEscalation[]>;
  pendingEscalations(caseId: string): Promise<PlannedStep[]>;
  nextEscalationAt(): Promise<number | undefined>;
  saveSilence(s: Silence): Promise<void>;
  deleteSilence(id: string): Promise<boolean>;
  /** every silence, soonest end first */
  silences(): Promise<Silence[]>;
  saveCommand(id: string, caseId: string, device: string, sentAt: number): Promise<void>;
  commandCase(id: string): Promise<{ caseId: string; device: string } | undefined>;
  /** sent commands with no outcome on their case's ledger, oldest first (cluster mode: a new rules leader sends them again) */
  unsettledCommands(): Promise<UnsettledCommand[]>;
}

export interface CaseStore extends CaseOps {
  /** which engine (logs, tests) */
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. With a
   * fence (a write made on the rules leader's behalf) the PostgreSQL store first checks the lease
   * and throws GW_ERR_LEASE_LOST, writing nothing, unless the fence holds the current epoch.
   * (SQLite is single mode: one process, no lease.)
   */
  tx<T>(fn: (s: CaseOps) => Promise<T>, fence?: Fence): Promise<T>;
  close(): Promise<void>;
}

/** The incident a stored case belongs to (cases written before incidents existed: their rule). */
export const incidentKey = (c: Pick<AlertCase, 'incident' | 'rule'>): string => c.incident ?? c.rule;

export function caseConflict(c: Pick<AlertCase, 'id' | 'device' | 'rule' | 'incident'>, why: 'changed' | 'duplicate'): GridwatchError {
  const msg = why === 'changed'
    ? `alert ${c.id} was changed by someone else meanwhile; read it again`
    : `device ${c.device} already has an open case of incident '${incidentKey(c)}'`;
  return new GridwatchError('GW_ERR_ALERT_CONFLICT', msg, { details: { id: c.id, device: c.device, incident: incidentKey(c), why } });
}

export const isConflict = (e: unknown): boolean => e instanceof GridwatchError && e.code === 'GW_ERR_ALERT_CONFLICT';
