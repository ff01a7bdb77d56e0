// Cluster mode's rules: every hub's ingest relays what it accepted onto the stream (gw:rules)
// before the PUBACK (the ingest's `relay`, wired in hub.ts); the hub
// holding the lease feeds the alerting stage from it (handle(), XACK after the case writes are
// durable), keeps each device's rule state in gw:rulestate with the ack, sweeps last-seen, and
// stands down when the lease is lost. A new leader re-sends the commands the last one sent that no
// device has confirmed yet (from the case store: a valve command outlives the hub that sent it).
// A decommissioned device's saved rule state is deleted (a device re-provisioned with the same id
// starts fresh on every later leader). Single mode never loads this file's engines.
import type { Clock } from '../core/clock.js';
import type { DeviceEvent, DeviceInfo, PresenceEvent, Reading } from '../core/domain.js';
import type { CommandAck } from '../core/events.js';
import type { Fence } from '../core/fence.js';
import type { Logger } from '../core/logger.js';
import { silenceThresholdMs } from '../core/offline.js';
import type { RuleSpec } from '../core/rule-spec.js';
import type { DeviceChange, SiteRegistry } from '../registry/index.js';
import { policyOf } from '../rules/conditions/no-data.js';
import type { RuleEngine } from '../rules/engine.js';
import { effectiveRules } from '../rules/resolve.js';
import { decodeSnapshot, encodeSnapshot } from '../rules/snapshot.js';
import {
  LastSeenSweep, Lease, RULESTATE_KEY, runLeader, StreamConsumer,
  type ClusterConnections, type ClusterInput, type StreamEntry,
} from '../cluster/index.js';

/** What the leader needs of the alerting stage (src/alerts/attach.ts AlertingHandle). */
export interface LeaderAlerting {
  engine: RuleEngine;
  handle(input:
    | { type: 'reading'; reading: Reading; device: DeviceInfo }
    | { type: 'presence'; event: PresenceEvent; device: DeviceInfo }
    | { type: 'deviceEvent'; event: DeviceEvent; device: DeviceInfo }
    | { type: 'cmdAck'; ack: CommandAck; device: DeviceInfo }): Promise<void>;
  lead(fence?: Fence): Promise<void>;
  follow(): Promise<void>;
  tick(): Promise<void> | void;
  /** sends again the commands nobody confirmed or gave up on; how many */
  resumeCommands(): Promise<number>;
  /** delivers again the notifications of open cases nobody delivered or gave up on; how many */
  resumeNotifications(): Promise<number>;
}

export interface ClusterRulesDeps {
  cluster: ClusterConnections;
  clock: Clock;
  logger: Logger;
  registry: SiteRegistry;
  /** absent with alerting.enabled: false (the hub still produces to the stream) */
  alerting?: LeaderAlerting;
  /** a device's cmd/ack the leader handled from the stream: settles this hub's command awaiting it (the broker's) */
  commandAcked?(ack: CommandAck): void;
}

export interface ClusterRules {
  /** the lease (tests, /healthz); undefined without alerting */
  lease?: Lease;
  close(): Promise<void>;
}

function toAlertInput(input: ClusterInput, device: DeviceInfo): Parameters<LeaderAlerting['handle']>[0] {
  switch (input.type) {
    case 'reading': return { type: 'reading', reading: input.reading, device };
    case 'presence': return { type: 'presence', event: input.event, device };
    case 'deviceEvent': return { type: 'deviceEvent', event: input.event, device };
    case 'cmdAck': return { type: 'cmdAck', ack: input.ack, device };
  }
}

/** The silence threshold of a device by its effective offline rule (undefined: unknown, or no offline rule). */
function silenceOf(registry: SiteRegistry, id: string): number | undefined {
  const d = registry.device(id);
  if (!d) return undefined;
  const rule = effectiveRules(d, registry.rules() as RuleSpec[]).find((r) => r.condition.type === 'noData');
  if (!rule || rule.condition.type !== 'noData') return undefined;
  return silenceThresholdMs(d.intervalS, policyOf(rule.condition));
}

export function attachClusterRules(deps: ClusterRulesDeps): ClusterRules {
  const { cluster, clock, logger, registry, alerting } = deps;
  const log = logger.child({ stage: 'cluster-rules' });
  // (every hub's side, the stream's producer, is the ingest's relay: src/hub/hub.ts)
  if (!alerting) return { close: async () => undefined };

  const { config } = cluster;
  const lease = new Lease({ name: 'rules', holder: cluster.hubId, connection: config.postgresUrl, leaseMs: config.leaseMs, logger: log });
  const state = cluster.redis('rules-state');
  const consumer = new StreamConsumer(cluster.redis('rules-consumer'), {
    consumer: cluster.hubId,
    logger: log,
    handler: async (entry: StreamEntry) => {
      // (an ack the device sent before this hub took over never reaches its broker: it is here)
      if (entry.input.type === 'cmdAck') deps.commandAcked?.(entry.input.ack);
      const device = registry.device(entry.device);
      if (!device) return; // decommissioned since: nothing to evaluate
      await alerting.handle(toAlertInput(entry.input, device));
    },
    // saved with the entry's ack (never ahead of it): the state that entry left behind
    stateOf: (entry) => {
      const snap = alerting.engine.exportDevice(entry.device);
      return snap ? { [entry.device]: encodeSnapshot(snap) } : undefined;
    },
  });
  const sweep = new LastSeenSweep(cluster.redis('lastseen'), {
    silenceMs: (id) => silenceOf(registry, id),
    minSilenceMs: 60_000,
    now: () => clock.now(),
    onSeen: (id, at, initial) => alerting.engine.noteSeen(id, at, initial),
    onOffline: (o) => {
      log.info({ device: o.device, lastSeen: o.lastSeen, deadline: o.deadline }, 'device silent past its offline deadline');
      void Promise.resolve(alerting.tick()).catch((e: unknown) => log.error({ err: e }, 'offline tick failed'));
    },
    logger: log,
  });

  const leader = runLeader({
    lease, consumer, logger: log,
    onLead: async (epoch) => {
      const started = Date.now();
      // the rule state the last leader saved with its acks: a `for` under way goes on, a handled reading is not evaluated again
      const saved = await state.hgetall(RULESTATE_KEY);
      let imported = 0;
      const gone: string[] = [];
      for (const [id, text] of Object.entries(saved)) {
        const device = registry.device(id);
        if (!device) gone.push(id); // decommissioned while no hub could delete it
        const snap = device ? decodeSnapshot(text) : undefined;
        if (!device || !snap) continue;
        alerting.engine.importDevice(device, snap, clock.now());
        imported++;
      }
      if (gone.length > 0) await state.hdel(RULESTATE_KEY, ...gone);
      await sweep.sweep(); // every device's last-seen, before any deadline is judged
      await alerting.lead(lease);
      sweep.start();
      // the last leader's commands no device confirmed, and its notifications nobody delivered or
      // gave up on: a kill -9 of their sender must not lose a valve command or an alarm's call
      // (a PostgreSQL blip here must not leave them unsent until some later take-over; a command
      // already re-sent by an earlier attempt is in flight and skipped, a notification is the
      // channel's duplicate)
      const retried = async (what: string, fn: () => Promise<number>): Promise<number> => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await fn();
          } catch (e) {
            if (attempt >= 5) throw e;
            log.warn({ err: e, attempt }, `resending the last leader's ${what} failed; trying again`);
            await new Promise((r) => setTimeout(r, 500 * attempt));
          }
        }
      };
      const resumed = await retried('commands', () => alerting.resumeCommands());
      const notified = await retried('notifications', () => alerting.resumeNotifications());
      log.info({ epoch, devicesImported: imported, commandsResent: resumed, notificationsOwed: notified, ms: Date.now() - started }, 'leading the rules');
    },
    onFollow: async (reason) => {
      sweep.stop();
      await alerting.follow();
      log.warn({ reason }, 'following: another hub leads the rules');
    },
  });

  // Decommissioned: its saved rule state goes, so a device re-provisioned with the same id starts
  // fresh under every later leader (a stale "evaluated up to" time would ignore its first alarms).
  // Every hub deletes it at once; the leader also deletes it with its next ack, after any ack in
  // flight that still carries the old state.
  const onDevice = (c: DeviceChange): void => {
    if (c.type !== 'removed') return;
    consumer.forget(c.device.id);
    state.hdel(RULESTATE_KEY, c.device.id).catch((e: unknown) => log.error({ err: e, device: c.device.id }, 'rule state of a decommissioned device not deleted'));
  };
  registry.on('device', onDevice);

  return {
    lease,
    close: async () => {
      registry.off('device', onDevice);
      sweep.stop();
      await leader.stop();
      await alerting.follow().catch(() => undefined);
    },
  };
}
