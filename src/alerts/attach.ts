// Wires the alerting stage: inputs (reading, presence, deviceEvent, cmdAck) → RuleEngine → cases →
// one timer armed for the earliest rule deadline or escalation step. Devices, people and rule
// overrides come from the registry: a provisioned device is watched at once, a decommissioned one
// is dropped (no offline case after its silence window), a changed override re-resolves the rules. "Now" always comes from
// ctx.clock; the timer only decides when to look, so a test can move a ManualClock and call tick().
// Inputs are handled one at a time, in order (the service's `exclusive`), so two readings never
// interleave their case writes. Single mode: fed by the bus and leading from the start. Cluster
// mode: the rules leader feeds `handle()` from the stream and calls lead(fence) / follow() as it
// gains and loses the lease; a follower still serves case reads and user actions from the store.
import { join } from 'node:path';
import type { Notifier } from '../core/alert-types.js';
import type { DeviceEvent, DeviceInfo, PresenceEvent, Reading } from '../core/domain.js';
import { GridwatchError } from '../core/errors.js';
import type { CommandAck } from '../core/events.js';
import type { Fence } from '../core/fence.js';
import type { RuleSpec } from '../core/rule-spec.js';
import type { HubContext } from '../hub/context.js';
import type { DeviceChange } from '../registry/index.js';
import { RuleEngine, type RuleTransition } from '../rules/engine.js';
import { localTime } from '../rules/localtime.js';
import { effectiveRules } from '../rules/resolve.js';
import { alertPoint } from '../store/points.js';
import { recordAck, resumeCommands, type UnitDevice } from './actions.js';
import { applyTransition, bySeverity, runEscalations, type Acted } from './flow.js';
import { resumeNotifications } from './resume-notifications.js';
import { toPerson } from './routing.js';
import { AlertCases } from './service.js';
import type { CaseStore } from './store.js';
import { openSqliteCaseStore } from './store-sqlite.js';

/**
 * One input of the alerting stage: what the bus carries, or in cluster mode what the rules stream
 * carries (src/cluster ClusterInput fits). The device is always taken from the registry by id (a
 * decommissioned device's late input is dropped); `device` may come along but is not needed.
 */
export type AlertInput =
  | { type: 'reading'; reading: Reading; device?: DeviceInfo }
  | { type: 'presence'; event: PresenceEvent; device?: DeviceInfo }
  | { type: 'deviceEvent'; event: DeviceEvent; device?: DeviceInfo }
  | { type: 'cmdAck'; ack: CommandAck; device?: DeviceInfo };

function deviceOf(input: AlertInput): string {
  switch (input.type) {
    case 'reading': return input.reading.device;
    case 'cmdAck': return input.ack.device;
    default: return input.event.device;
  }
}

export interface AlertingHandle {
  engine: RuleEngine;
  cases: AlertCases;
  store: CaseStore;
  /** runs rule deadlines and escalation steps due at ctx.clock.now() (when leading), then re-arms the timer */
  tick(): Promise<void>;
  /** replaces the rule overrides (the config's `rules`, or those merged with the API's) and re-resolves every device's rules */
  setRuleOverrides(rules: readonly RuleSpec[]): void;
  /**
   * Applies one input after those handed in before it; resolves once its case writes are durable.
   * Rejects when they are not (GW_ERR_LEASE_LOST when this hub does not lead or lost the lease,
   * a store error): the caller keeps the input for a retry. A cmdAck is recorded whether leading or not.
   */
  handle(input: AlertInput): Promise<void>;
  /** starts rule evaluation, timers and escalations; leader writes go through `fence` (cluster mode) */
  lead(fence?: Fence): Promise<void>;
  /** stops them; resolves once the input being handled is done. Case reads and user actions go on. */
  follow(): Promise<void>;
  /**
   * Leading with `handOverCommands`: sends again the commands no device confirmed and nobody gave
   * up on; resolves with how many. `takeover` (default, cluster mode): a previous leader died or
   * stood down before the ack; `restart` (single mode, at start): this hub was stopped or killed.
   */
  resumeCommands(reason?: 'takeover' | 'restart'): Promise<number>;
  /**
   * Leading: hands each channel again the notifications of open cases that its ledger shows
   * neither delivered nor given up (resume-notifications.ts); resolves with how many, not waiting
   * for the deliveries. `takeover` (default): cluster mode's new leader; `restart`: single mode, at start.
   */
  resumeNotifications(reason?: 'takeover' | 'restart'): Promise<number>;
  readonly leading: boolean;
}

export interface AlertingOptions {
  notifiers?: Notifier[];
  /** the case store (cluster mode: PostgreSQL); default: SQLite at <dataDir>/alerts.db. Closed with the hub. */
  store?: CaseStore;
  /** take inputs from the bus (default true); false: only through handle() */
  bus?: boolean;
  /** lead from the start, unfenced (default true: single mode) */
  lead?: boolean;
  /**
   * the commands sent while leading are handed over when this hub stops leading (follow(), close):
   * nothing is recorded for them and resumeCommands() re-sends them (cluster mode: the next
   * leader's; single mode: the hub's next start, on the same case store)
   */
  handOverCommands?: boolean;
}

const MAX_DELAY = 2_147_483_647;
const NO_TRANSITIONS: readonly RuleTransition[] = [];

export async function attachAlerting(ctx: HubContext, opts: AlertingOptions = {}): Promise<AlertingHandle> {
  const { config, clock, bus, logger } = ctx;
  const log = logger.child({ stage: 'alerts' });
  const store = opts.store ?? openSqliteCaseStore(join(ctx.dataDir, 'alerts.db'));
  const { registry } = ctx;
  // the valve comes from the registry: set in the config or over the API, kept across a rotation
  // (the registry's own entries: no object per device on each alarm)
  const unitDevices = (): Iterable<UnitDevice> => registry.devices();
  const cases = new AlertCases({
    store, clock, bus, logger: log,
    escalation: config.escalation,
    // people are read on each use: the registry's (config merged with people managed over the API)
    routing: { get people() { return registry.people().map(toPerson); }, rosters: config.rosters, streetDuty: config.streetDuty, local: localTime(config.timezone) },
    notifiers: opts.notifiers ?? [],
    point: alertPoint,
    writePoints: (points) => ctx.store.writer.write(points),
    sendCommand: (device, payload, opts) => ctx.commands.send(device, payload, opts),
    unitDevices,
  });
  const started = clock.now();
  for (const s of config.silences) {
    await store.saveSilence({ id: s.id, scope: s.scope, from: Date.parse(s.from), until: Date.parse(s.until), author: s.author, ...(s.reason === undefined ? {} : { reason: s.reason }), createdAt: started });
  }
  let ruleOverrides: readonly RuleSpec[] = registry.rules();
  const engine = new RuleEngine({ timezone: config.timezone, rulesFor: (d) => effectiveRules(d, ruleOverrides) });
  for (const d of registry.devices()) engine.addDevice(d, started);

  let timer: NodeJS.Timeout | undefined;
  let timerAt: number | undefined;
  let escalationAt: number | undefined;
  let closed = false;
  let leading = false;
  /** aborted when this hub stops leading: its commands are handed over (handOverCommands) */
  let reign: AbortController | undefined;

  const arm = (): void => {
    if (closed || !leading) return;
    const a = engine.nextDeadline();
    const next = a === undefined ? escalationAt : escalationAt === undefined ? a : Math.min(a, escalationAt);
    if (next === timerAt) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    timerAt = next;
    if (next === undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = undefined;
      void tick();
    }, Math.min(MAX_DELAY, Math.max(0, next - clock.now())));
    timer.unref();
  };
  const disarm = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    timerAt = undefined;
  };

  /** Applies the transitions, each retried on another hub's concurrent change; `strict`: throws the first failure after trying all. */
  const apply = async (transitions: readonly RuleTransition[], strict: boolean): Promise<void> => {
    if (transitions.length === 0) return;
    let failure: unknown;
    for (const t of bySeverity(transitions)) {
      try {
        const acted: Acted = {};
        await cases.retrying(() => applyTransition(cases, t, acted));
      } catch (e) {
        failure ??= e;
        log.error({ err: e, device: t.device.id, rule: t.rule.id }, 'alert transition failed');
      }
    }
    escalationAt = await store.nextEscalationAt();
    if (strict && failure !== undefined) throw failure;
  };

  const tick = async (): Promise<void> => {
    if (closed || !leading) return;
    await cases.exclusive(async () => {
      if (closed || !leading) return;
      const now = clock.now();
      try {
        await apply(engine.tick(now), false);
        await runEscalations(cases, now);
      } catch (e) {
        log.error({ err: e }, 'alert tick failed');
      }
      try {
        escalationAt = await store.nextEscalationAt();
      } catch (e) {
        log.error({ err: e }, 'next escalation unknown');
      }
    });
    timerAt = undefined; // force re-arming from the fresh deadlines
    arm();
  };

  // Only devices the registry still has: the last presence of a decommissioned device (its
  // connection closed by the broker) must not bring it back into the engine.
  const evaluate = (input: Exclude<AlertInput, { type: 'cmdAck' }>, device: DeviceInfo, now: number): RuleTransition[] => {
    switch (input.type) {
      case 'reading': return engine.onReading(input.reading, device, now);
      case 'presence': return engine.onPresence(input.event, device, now);
      case 'deviceEvent': return engine.onEvent(input.event, device, now);
    }
  };
  const inputFailed = (input: AlertInput, e: unknown): void => log.error({ err: e, device: deviceOf(input), input: input.type }, input.type === 'cmdAck' ? 'command ack not recorded' : 'alert input failed');
  const process = async (input: AlertInput, strict: boolean): Promise<void> => {
    try {
      await cases.exclusive(async () => {
        if (input.type === 'cmdAck') {
          await recordAck(cases, input.ack);
          return;
        }
        if (!leading) {
          if (strict) throw new GridwatchError('GW_ERR_LEASE_LOST', 'this hub does not lead the rules (follow() was called): the input was not applied', { details: { input: input.type, device: deviceOf(input) } });
          return;
        }
        const device = registry.device(deviceOf(input));
        if (!device) return;
        await apply(evaluate(input, device, clock.now()), strict);
      });
    } catch (e) {
      if (strict) throw e;
      inputFailed(input, e);
    } finally {
      arm();
    }
  };

  // A bus input with nothing queued ahead of it (almost every reading) is evaluated at once, in
  // this call: no promise or closure per reading unless it changes a case. Its transitions are
  // queued first in line, so nothing can overtake them; a busy queue takes the input in its turn.
  const fromBus = (input: Exclude<AlertInput, { type: 'cmdAck' }>): void => {
    if (cases.busy) return void process(input, false);
    let transitions = NO_TRANSITIONS;
    try {
      const device = leading ? registry.device(deviceOf(input)) : undefined;
      if (device) transitions = evaluate(input, device, clock.now());
    } catch (e) {
      inputFailed(input, e); // as in its turn: logged, never thrown at the bus (its other listeners still run)
    }
    if (transitions.length === 0) return arm();
    void cases.exclusive(() => apply(transitions, false)).catch((e: unknown) => inputFailed(input, e)).finally(arm);
  };
  const onReading = (reading: Reading, device: DeviceInfo): void => fromBus({ type: 'reading', reading, device });
  const onPresence = (event: PresenceEvent, device: DeviceInfo): void => fromBus({ type: 'presence', event, device });
  const onEvent = (event: DeviceEvent, device: DeviceInfo): void => fromBus({ type: 'deviceEvent', event, device });
  const onAck = (ack: CommandAck, device: DeviceInfo): void => void process({ type: 'cmdAck', ack, device }, false);
  const onDevice = (c: DeviceChange): void => {
    if (c.type === 'removed') engine.removeDevice(c.device.id);
    else engine.addDevice(c.device, clock.now()); // a rotation keeps each rule's state
    timerAt = undefined;
    arm();
  };
  const onRules = (rules: readonly RuleSpec[]): void => setRuleOverrides(rules);

  const lead = async (fence?: Fence): Promise<void> => {
    await cases.exclusive(async () => {
      cases.fence = fence;
      if (opts.handOverCommands) {
        reign?.abort();
        reign = new AbortController();
        cases.handOver = reign.signal;
      }
      // cases another leader (or this hub before a restart) opened: a clear must be able to resolve
      // them (a rule state imported from the old leader already knows, and knows when it was raised)
      for (const c of await store.activeCases()) {
        for (const rule of c.activeRules ?? [c.rule]) if (!engine.isActive(c.device, rule)) engine.markActive(c.device, rule, c.openedAt);
      }
      escalationAt = await store.nextEscalationAt();
      leading = true;
    });
    // escalations that fell due while nobody led (or the hub was down) fire now
    await tick();
  };
  const follow = async (): Promise<void> => {
    leading = false;
    reign?.abort();
    // pending notifications too (a retry waiting for a robot that was down): the new leader's
    // resumeNotifications() hands them out again, and a retry still running here would call the
    // grid worker twice and may dead-letter what the other hub delivers
    for (const n of cases.deps.notifiers) n.handOver?.();
    disarm();
    await cases.exclusive(async () => undefined);
  };

  const busFed = opts.bus !== false;
  if (busFed) {
    bus.on('reading', onReading);
    bus.on('presence', onPresence);
    bus.on('deviceEvent', onEvent);
    bus.on('cmdAck', onAck);
  }
  registry.on('device', onDevice);
  registry.on('rules', onRules);
  ctx.alerts = cases;
  ctx.onClose(async () => {
    closed = true;
    leading = false;
    reign?.abort();
    registry.off('device', onDevice);
    registry.off('rules', onRules);
    disarm();
    if (busFed) {
      bus.off('reading', onReading);
      bus.off('presence', onPresence);
      bus.off('deviceEvent', onEvent);
      bus.off('cmdAck', onAck);
    }
    await cases.exclusive(async () => undefined);
    await store.close();
  });
  const setRuleOverrides = (rules: readonly RuleSpec[]): void => {
    ruleOverrides = rules;
    engine.refreshRules(clock.now());
    timerAt = undefined;
    arm();
  };
  if (opts.lead !== false) await lead();
  return {
    engine, cases, store, tick, setRuleOverrides,
    handle: (input) => process(input, true),
    lead, follow,
    resumeCommands: async (reason) => (leading && cases.handOver ? resumeCommands(cases, (id) => registry.device(id) !== undefined, reason) : 0),
    resumeNotifications: async (reason = 'takeover') => (leading ? resumeNotifications(cases, reason) : 0),
    get leading() { return leading; },
  };
}
