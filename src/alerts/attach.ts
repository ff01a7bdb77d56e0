// Wires the alerting stage: bus (reading, presence, deviceEvent, cmdAck) → RuleEngine → cases →
// one timer armed for the earliest rule deadline or escalation step. Devices, people and rule
// overrides come from the registry: a provisioned device is watched at once, a decommissioned one
// is dropped (no offline case after its silence window), a changed override re-resolves the rules. "Now" always comes from
// ctx.clock; the timer only decides when to look, so a test can move a ManualClock and call tick().
import { join } from 'node:path';
import type { Notifier } from '../core/alert-types.js';
import type { DeviceInfo } from '../core/domain.js';
import type { RuleSpec } from '../core/rule-spec.js';
import type { HubContext } from '../hub/context.js';
import type { DeviceChange } from '../registry/index.js';
import { RuleEngine, type RuleTransition } from '../rules/engine.js';
import { localTime } from '../rules/localtime.js';
import { effectiveRules } from '../rules/resolve.js';
import { alertPoint } from '../store/points.js';
import { recordAck, type UnitDevice } from './actions.js';
import { applyTransition, bySeverity, runEscalations } from './flow.js';
import { toPerson } from './routing.js';
import { AlertCases } from './service.js';
import { AlertStore } from './store.js';

export interface AlertingHandle {
  engine: RuleEngine;
  cases: AlertCases;
  store: AlertStore;
  /** runs rule deadlines and escalation steps due at ctx.clock.now(), then re-arms the timer */
  tick(): void;
  /** replaces the rule overrides (the config's `rules`, or those merged with the API's) and re-resolves every device's rules */
  setRuleOverrides(rules: readonly RuleSpec[]): void;
}

const MAX_DELAY = 2_147_483_647;

export async function attachAlerting(ctx: HubContext, opts: { notifiers?: Notifier[] } = {}): Promise<AlertingHandle> {
  const { config, clock, bus, logger } = ctx;
  const log = logger.child({ stage: 'alerts' });
  const store = new AlertStore(join(ctx.dataDir, 'alerts.db'));
  const { registry } = ctx;
  // the valve comes from the registry: set in the config or over the API, kept across a rotation
  const unitDevices = (): UnitDevice[] => registry.devices().map((d) => ({ id: d.id, kind: d.kind, building: d.building, ...(d.unit === undefined ? {} : { unit: d.unit }), valve: d.valve === true }));
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
    store.saveSilence({ id: s.id, scope: s.scope, from: Date.parse(s.from), until: Date.parse(s.until), author: s.author, ...(s.reason === undefined ? {} : { reason: s.reason }), createdAt: started });
  }
  let ruleOverrides: readonly RuleSpec[] = registry.rules();
  const engine = new RuleEngine({ timezone: config.timezone, rulesFor: (d) => effectiveRules(d, ruleOverrides) });
  for (const d of registry.devices()) engine.addDevice(d, started);
  for (const c of store.activeCases()) for (const rule of c.activeRules ?? [c.rule]) engine.markActive(c.device, rule, c.openedAt);

  let timer: NodeJS.Timeout | undefined;
  let timerAt: number | undefined;
  let escalationAt = store.nextEscalationAt();
  let closed = false;

  const arm = (): void => {
    if (closed) return;
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
      tick();
    }, Math.min(MAX_DELAY, Math.max(0, next - clock.now())));
    timer.unref();
  };

  const apply = (transitions: RuleTransition[]): void => {
    if (transitions.length === 0) return;
    for (const t of bySeverity(transitions)) {
      try {
        applyTransition(cases, t);
      } catch (e) {
        log.error({ err: e, device: t.device.id, rule: t.rule.id }, 'alert transition failed');
      }
    }
    escalationAt = store.nextEscalationAt();
  };

  const tick = (): void => {
    if (closed) return;
    const now = clock.now();
    try {
      apply(engine.tick(now));
      runEscalations(cases, now);
    } catch (e) {
      log.error({ err: e }, 'alert tick failed');
    }
    escalationAt = store.nextEscalationAt();
    timerAt = undefined; // force re-arming from the fresh deadlines
    arm();
  };

  // Only devices the registry still has: the last presence of a decommissioned device (its
  // connection closed by the broker) must not bring it back into the engine.
  const known = (d: DeviceInfo): DeviceInfo | undefined => registry.device(d.id);
  const onReading = (r: Parameters<RuleEngine['onReading']>[0], d: DeviceInfo): void => {
    const device = known(d);
    if (!device) return;
    apply(engine.onReading(r, device, clock.now()));
    arm();
  };
  const onPresence = (e: Parameters<RuleEngine['onPresence']>[0], d: DeviceInfo): void => {
    const device = known(d);
    if (!device) return;
    apply(engine.onPresence(e, device, clock.now()));
    arm();
  };
  const onEvent = (e: Parameters<RuleEngine['onEvent']>[0], d: DeviceInfo): void => {
    const device = known(d);
    if (!device) return;
    apply(engine.onEvent(e, device, clock.now()));
    arm();
  };
  const onAck = (ack: Parameters<typeof recordAck>[1]): void => {
    try {
      recordAck(cases, ack);
    } catch (e) {
      log.error({ err: e, device: ack.device }, 'command ack not recorded');
    }
  };
  const onDevice = (c: DeviceChange): void => {
    if (c.type === 'removed') engine.removeDevice(c.device.id);
    else engine.addDevice(c.device, clock.now()); // a rotation keeps each rule's state
    timerAt = undefined;
    arm();
  };
  const onRules = (rules: readonly RuleSpec[]): void => setRuleOverrides(rules);
  bus.on('reading', onReading);
  bus.on('presence', onPresence);
  bus.on('deviceEvent', onEvent);
  bus.on('cmdAck', onAck);
  registry.on('device', onDevice);
  registry.on('rules', onRules);
  ctx.alerts = cases;
  ctx.onClose(() => {
    closed = true;
    registry.off('device', onDevice);
    registry.off('rules', onRules);
    if (timer) clearTimeout(timer);
    bus.off('reading', onReading);
    bus.off('presence', onPresence);
    bus.off('deviceEvent', onEvent);
    bus.off('cmdAck', onAck);
    store.close();
  });
  // escalations that fell due while the hub was down fire now
  tick();
  const setRuleOverrides = (rules: readonly RuleSpec[]): void => {
    ruleOverrides = rules;
    engine.refreshRules(clock.now());
    timerAt = undefined;
    arm();
  };
  return { engine, cases, store, tick, setRuleOverrides };
}
