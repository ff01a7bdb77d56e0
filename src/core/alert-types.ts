// The alert case as every stage sees it (alerts owns the logic; api, live and notify read these).
import type { Role, Severity } from './domain.js';

export type CaseState = 'open' | 'acknowledged' | 'resolved' | 'closed';

export type LedgerAction = 'opened' | 'notified' | 'escalated' | 'acknowledged' | 'resolved' | 'reopened' | 'closed' | 'commented' | 'reassigned' | 'delivery_failed' | 'command_sent' | 'command_ack' | 'command_retried' | 'command_unconfirmed' | 'seen' | 'silenced' | 'no_one_on_duty' | 'severity_raised' | 'condition_cleared';

export interface LedgerEntry {
  seq: number;
  caseId: string;
  ts: number;
  /** person id, 'system', or a device id for command acks */
  actor: string;
  action: LedgerAction;
  note?: string;
  data?: Record<string, unknown>;
}

export interface AlertCase {
  id: string;
  device: string;
  rule: string;
  kind: string;
  severity: Severity;
  state: CaseState;
  title: { zh: string; en: string };
  street: string;
  community: string;
  grid: string;
  building: string;
  unit?: string;
  openedAt: number;
  /** set when a resolved case re-opened (escalation restarts from here) */
  reopenedAt?: number;
  /** set when a rule of the same incident raised the severity (escalation restarts from here) */
  raisedAt?: number;
  updatedAt: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  resolvedAt?: number;
  closedAt?: number;
  assignee?: string;
  /** index of the escalation step reached (0 = first notification; -1 = none yet) */
  escalationStep: number;
  /** the reading or silence that triggered it */
  trigger: Record<string, unknown>;
  closeNote?: string;
  /** the incident: the rule's `hazard` (e.g. gas), else the rule id; one active case per (device, incident) */
  incident?: string;
  /** rules of the incident whose condition holds now (empty or absent: the condition has cleared) */
  activeRules?: string[];
  /** the next pending escalation step, if any (kept by the alerting stage on every change) */
  nextEscalation?: { step: number; to: string; at: number };
  /** how many escalation steps the case's severity has */
  escalationSteps?: number;
}

export interface AlertChange {
  case: AlertCase;
  entry: LedgerEntry;
}

export interface AlertFilter {
  state?: CaseState[];
  severity?: Severity[];
  grids?: string[];
  device?: string;
  from?: number;
  to?: number;
  limit?: number;
}

export interface SilenceInput {
  scope: { device?: string; building?: string; grid?: string };
  from: number;
  until: number;
  author: string;
  reason?: string;
}

export interface Silence extends SilenceInput {
  id: string;
  createdAt: number;
}

/**
 * What the API, the live panel and the reports may ask of the alerting stage. Async: in cluster
 * mode the cases live in PostgreSQL, shared by every hub.
 */
export interface AlertService {
  list(filter: AlertFilter): Promise<AlertCase[]>;
  get(id: string): Promise<{ case: AlertCase; ledger: LedgerEntry[] } | undefined>;
  acknowledge(id: string, actor: string, note?: string): Promise<AlertCase>;
  /** while the condition still holds, only with `override` (the reason, recorded in the ledger) */
  resolve(id: string, actor: string, note?: string, override?: string): Promise<AlertCase>;
  /** closing needs a note: cause and action (建档销账); while the condition holds, also `override` */
  close(id: string, actor: string, note: string, override?: string): Promise<AlertCase>;
  comment(id: string, actor: string, note: string): Promise<AlertCase>;
  reassign(id: string, actor: string, person: string): Promise<AlertCase>;
  markSeen(id: string, actor: string): Promise<void>;
  listSilences(): Promise<Silence[]>;
  addSilence(input: SilenceInput): Promise<Silence>;
  removeSilence(id: string, actor: string): Promise<void>;
}

/** Someone notifications go to (a config person without credentials). */
export interface Person {
  id: string;
  name: string;
  role: Role;
  grids: string[];
  phone?: string;
  contact?: Record<string, string>;
  lang?: 'zh' | 'en';
}

/** The case's ledger, given to the notify stage so every delivery attempt lands on the case. */
export interface AlertLedger {
  record(caseId: string, action: LedgerAction, data?: Record<string, unknown>, actor?: string, note?: string): Promise<LedgerEntry>;
}

/** What the alerting stage hands each Notifier: one case event and who should hear of it. */
export interface Notification {
  case: AlertCase;
  entry: LedgerEntry;
  recipients: Person[];
  /** escalation step index (into config.escalation[severity]) */
  step: number;
  reason: 'opened' | 'escalated' | 'reopened' | 'reassigned';
  /** true when nobody on duty was found and the notification went up the chain */
  fallback?: boolean;
  ledger: AlertLedger;
}

export interface Notifier {
  notify(n: Notification): Promise<void>;
  /**
   * this hub stopped leading the rules: abort pending deliveries recording nothing (the new
   * leader's resume owes them), still taking new work (src/notify's DeliveryNotifier)
   */
  handOver?(): void;
}
