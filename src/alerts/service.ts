// AlertCases: the AlertService the API and the live panel use, and the AlertLedger the notify
// stage records deliveries through. Every change is saved in one transaction, then emitted as an
// `alert` bus event and written to InfluxDB as an `alert` point. Changes are made one at a time in
// this process (`exclusive`, which the alerting stage's inputs share), each re-reading its case;
// a change another hub made meanwhile (GW_ERR_ALERT_CONFLICT) is retried on the fresh case.
import { randomUUID } from 'node:crypto';
import type { AlertCase, AlertChange, AlertFilter, AlertLedger, AlertService, LedgerAction, LedgerEntry, Notification, Notifier, Silence, SilenceInput } from '../core/alert-types.js';
import type { Clock } from '../core/clock.js';
import type { Fence } from '../core/fence.js';
import { Serial } from '../core/serial.js';
import { GridwatchError, ValidationError } from '../core/errors.js';
import type { CommandSender, HubBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { StorePoint } from '../core/domain.js';
import type { UnitDevice } from './actions.js';
import type { EscalationStep } from './escalation.js';
import { type CaseAction, nextState } from './lifecycle.js';
import type { RoutingData } from './routing.js';
import { isConflict, type CaseOps, type CaseStore, type NewLedgerEntry } from './store.js';

export interface AlertDeps {
  store: CaseStore;
  clock: Clock;
  bus: HubBus;
  logger: Logger;
  escalation: { critical: EscalationStep[]; warning: EscalationStep[]; info: EscalationStep[]; reopenWithin: string };
  routing: RoutingData;
  notifiers: Notifier[];
  /** the alert point for InfluxDB (src/store/points.ts alertPoint) */
  point: (change: AlertChange) => StorePoint;
  writePoints: (points: StorePoint[]) => Promise<void>;
  /** hub -> device command; resolves on the device's cmd/ack, rejects when it never came (src/broker/commands.ts) */
  sendCommand: CommandSender['send'];
  /** devices with building, unit and the config's `valve` flag, for the closeValve action */
  unitDevices: () => Iterable<UnitDevice>;
}

/** ledger actions that are state transitions: these go to InfluxDB too */
const TRANSITIONS = new Set<LedgerAction>(['opened', 'acknowledged', 'resolved', 'reopened', 'closed', 'escalated']);

/** how often a change is tried again on the fresh case when another hub changed it meanwhile */
const CONFLICT_ATTEMPTS = 5;

export interface CommitOptions {
  /** runs inside the transaction first (e.g. cancelling escalation deadlines with the acknowledgement) */
  before?: (s: CaseOps) => Promise<unknown>;
  /** a write on the rules leader's behalf (rule transitions, escalation steps, sent commands): it goes through `fence` */
  leader?: boolean;
  /** a case not stored yet (else the stored one must still be the one read: compare-and-set on updatedAt) */
  isNew?: boolean;
}

export class AlertCases implements AlertService, AlertLedger {
  /** last alert point time per case: InfluxDB keeps one point per series and ms, so bump ties */
  private readonly lastPointTs = new Map<string, number>();
  private readonly serial = new Serial();
  /** the rules leader's lease (cluster mode; set by the alerting stage's lead()): leader writes are refused once it is lost */
  fence: Fence | undefined;
  /**
   * while leading with `handOverCommands` (cluster mode, and single mode): aborted when this hub
   * stops leading or closes. The commands it sent are then handed over (nothing recorded: the next
   * leader, or the hub's next start, re-sends them from the case store), not given up.
   */
  handOver: AbortSignal | undefined;
  /** ids of the commands this process is sending (awaiting their ack) */
  readonly commandsInFlight = new Set<string>();

  constructor(readonly deps: AlertDeps) {}

  /** Runs `fn` when every change queued before it in this process is done (one change at a time). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial.run(fn);
  }

  /** true while an exclusive change runs or waits: an input handled now would overtake it */
  get busy(): boolean {
    return this.serial.busy;
  }

  /** Runs `fn` again (it re-reads its case) while another hub's change of the same case gets in between. */
  async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isConflict(e) || attempt >= CONFLICT_ATTEMPTS) throw e;
      }
    }
  }

  private change<T>(fn: () => Promise<T>): Promise<T> {
    return this.exclusive(() => this.retrying(fn));
  }

  now(): number {
    return this.deps.clock.now();
  }

  async mustGet(id: string): Promise<AlertCase> {
    const c = await this.deps.store.getCase(id);
    if (!c) throw new GridwatchError('GW_ERR_ALERT_NOT_FOUND', `no alert case has id '${id}'`, { details: { id } });
    return c;
  }

  /**
   * Saves the case and its new ledger entries in one transaction, then emits them. The caller
   * holds `exclusive`; the case must be as read from the store unless `isNew`.
   */
  async commit(c: AlertCase, entries: Omit<NewLedgerEntry, 'caseId' | 'ts'>[], opts: CommitOptions = {}): Promise<LedgerEntry[]> {
    const ts = this.now();
    const expected = opts.isNew ? undefined : c.updatedAt;
    const saved = await this.deps.store.tx(async (s) => {
      await opts.before?.(s);
      c.updatedAt = ts;
      await this.keepNextEscalation(s, c);
      await s.saveCase(c, expected);
      const out: LedgerEntry[] = [];
      for (const e of entries) out.push(await s.addLedger({ ...e, caseId: c.id, ts }));
      return out;
    }, opts.leader ? this.fence : undefined);
    for (const entry of saved) this.emit({ case: structuredClone(c), entry });
    return saved;
  }

  /** the case carries its next pending escalation step, so every reader can say when it is due */
  private async keepNextEscalation(s: CaseOps, c: AlertCase): Promise<void> {
    const steps = this.deps.escalation[c.severity];
    c.escalationSteps = steps.length;
    const next = (await s.pendingEscalations(c.id)).find((p) => p.step > c.escalationStep);
    const to = next ? steps[next.step]?.to : undefined;
    if (next && to && c.state === 'open') c.nextEscalation = { step: next.step, to, at: next.at };
    else delete c.nextEscalation;
  }

  /**
   * Resolving or closing while a rule of the case's incident still holds (the gas still reads
   * above the clear level) needs an explicit override with a reason; it goes into the ledger.
   */
  private guard(c: AlertCase, what: 'resolve' | 'close', override: string | undefined): Record<string, unknown> | undefined {
    const holding = c.activeRules ?? (c.state === 'open' || c.state === 'acknowledged' ? [c.rule] : []);
    if (holding.length === 0) return undefined;
    if (typeof override === 'string' && override.trim() !== '') return { override: { reason: override.trim(), activeRules: holding, trigger: c.trigger } };
    throw new GridwatchError('GW_ERR_ALERT_STILL_ACTIVE', `alert ${c.id}: the condition still holds (${holding.join(', ')}); to ${what} it anyway give an override reason`, { details: { id: c.id, activeRules: holding, trigger: c.trigger, field: 'override', rule: 'required while the condition holds' } });
  }

  private emit(change: AlertChange): void {
    try {
      this.deps.bus.emit('alert', change);
    } catch (e) {
      this.deps.logger.error({ err: e, caseId: change.case.id }, 'alert listener failed');
    }
    if (TRANSITIONS.has(change.entry.action)) {
      const point = this.deps.point(change);
      const last = this.lastPointTs.get(change.case.id);
      if (last !== undefined && point.ts <= last) point.ts = last + 1;
      if (change.case.state === 'closed') this.lastPointTs.delete(change.case.id);
      else if (this.lastPointTs.size < 100_000) this.lastPointTs.set(change.case.id, point.ts);
      this.deps.writePoints([point]).catch((e: unknown) => this.deps.logger.error({ err: e, caseId: change.case.id }, 'alert point write failed'));
    }
  }

  /**
   * AlertLedger: the notify stage records deliveries (notified, delivery_failed) here. Not fenced:
   * a delivery that happened is a fact, whichever hub made it.
   */
  record(caseId: string, action: LedgerAction, data?: Record<string, unknown>, actor = 'system', note?: string): Promise<LedgerEntry> {
    return this.change(() => this.append(caseId, action, data, actor, note));
  }

  /** `record` for a caller already holding `exclusive` */
  async append(caseId: string, action: LedgerAction, data?: Record<string, unknown>, actor = 'system', note?: string, opts: CommitOptions = {}): Promise<LedgerEntry> {
    const c = await this.mustGet(caseId);
    const [entry] = await this.commit(c, [{ actor, action, ...(note === undefined ? {} : { note }), ...(data === undefined ? {} : { data }) }], opts);
    return entry as LedgerEntry;
  }

  notify(n: Omit<Notification, 'ledger'>): void {
    for (const notifier of this.deps.notifiers) {
      notifier.notify({ ...n, ledger: this }).catch((e: unknown) => this.deps.logger.error({ err: e, caseId: n.case.id }, 'notifier failed'));
    }
  }

  list(filter: AlertFilter): Promise<AlertCase[]> {
    return this.deps.store.listCases(filter);
  }

  async get(id: string): Promise<{ case: AlertCase; ledger: LedgerEntry[] } | undefined> {
    const c = await this.deps.store.getCase(id);
    return c ? { case: c, ledger: await this.deps.store.ledger(id) } : undefined;
  }

  private move(id: string, actor: string, action: CaseAction, ledgerAction: LedgerAction, note?: string, extra?: (c: AlertCase) => void, override?: string): Promise<AlertCase> {
    return this.change(async () => {
      const c = await this.mustGet(id);
      const from = c.state;
      c.state = nextState(id, c.state, action);
      const data = action === 'resolve' || action === 'close' ? this.guard({ ...c, state: from }, action, override) : undefined;
      extra?.(c);
      // leaving 'open' cancels every pending notification and escalation step at once
      await this.commit(c, [{ actor, action: ledgerAction, ...(note ? { note } : {}), ...(data ? { data } : {}) }], {
        before: async (s) => { if (c.state !== 'open') await s.cancelEscalations(id); },
      });
      return c;
    });
  }

  acknowledge(id: string, actor: string, note?: string): Promise<AlertCase> {
    return this.move(id, actor, 'acknowledge', 'acknowledged', note, (c) => {
      c.acknowledgedAt = this.now();
      c.acknowledgedBy = actor;
    });
  }

  resolve(id: string, actor: string, note?: string, override?: string): Promise<AlertCase> {
    return this.move(id, actor, 'resolve', 'resolved', note, (c) => {
      c.resolvedAt = this.now();
    }, override);
  }

  async close(id: string, actor: string, note: string, override?: string): Promise<AlertCase> {
    if (typeof note !== 'string' || note.trim() === '') {
      throw new ValidationError('GW_ERR_ALERT_TRANSITION', 'note', note, 'closing a case needs a non-empty note (cause and action)');
    }
    return this.move(id, actor, 'close', 'closed', note.trim(), (c) => {
      c.closedAt = this.now();
      c.closeNote = note.trim();
    }, override);
  }

  async comment(id: string, actor: string, note: string): Promise<AlertCase> {
    if (typeof note !== 'string' || note.trim() === '') throw new ValidationError('GW_ERR_ALERT_TRANSITION', 'note', note, 'a comment needs a non-empty note');
    return this.change(async () => {
      const c = await this.mustGet(id);
      await this.commit(c, [{ actor, action: 'commented', note: note.trim() }]);
      return c;
    });
  }

  async reassign(id: string, actor: string, person: string): Promise<AlertCase> {
    const p = this.deps.routing.people.find((x) => x.id === person);
    if (!p) throw new ValidationError('GW_ERR_ALERT_TRANSITION', 'person', person, 'must name a person in the config');
    return this.change(async () => {
      const c = await this.mustGet(id);
      nextState(id, c.state, 'reassign');
      c.assignee = person;
      const [entry] = await this.commit(c, [{ actor, action: 'reassigned', data: { person } }]);
      if (entry) this.notify({ case: c, entry, recipients: [p], step: c.escalationStep, reason: 'reassigned' });
      return c;
    });
  }

  async markSeen(id: string, actor: string): Promise<void> {
    await this.change(async () => {
      const c = await this.mustGet(id);
      await this.commit(c, [{ actor, action: 'seen' }]);
    });
  }

  listSilences(): Promise<Silence[]> {
    return this.deps.store.silences();
  }

  async addSilence(input: SilenceInput): Promise<Silence> {
    const { device, building, grid } = input.scope;
    if (device === undefined && building === undefined && grid === undefined) throw new ValidationError('GW_ERR_API_VALIDATION', 'scope', input.scope, 'must name a device, building or grid');
    if (!(input.until > input.from)) throw new ValidationError('GW_ERR_API_VALIDATION', 'until', input.until, `must be after from (${input.from})`);
    const s: Silence = { ...input, id: `sil-${randomUUID()}`, createdAt: this.now() };
    await this.deps.store.saveSilence(s);
    return s;
  }

  async removeSilence(id: string, actor: string): Promise<void> {
    if (!(await this.deps.store.deleteSilence(id))) throw new GridwatchError('GW_ERR_API_NOT_FOUND', `no silence has id '${id}'`, { details: { id, actor } });
    this.deps.logger.info({ silence: id, actor }, 'silence removed');
  }
}
