// Notifications outlive the process that was delivering them, as commands do (actions.ts
// resumeCommands): a hub stopped or killed while a delivery waited for its retry (the robot was
// down), or before its first try, leaves it unrecorded on the case. At start (single mode) and when
// a hub takes the rules' lead (cluster mode) every open case's ledger says what each channel still
// owes (owed.ts); it is handed to that channel again, which records it as usual (notified /
// delivery_failed, marked `resumed`).
import type { Notification, Notifier, Person } from '../core/alert-types.js';
import { owedNotifications } from './owed.js';
import type { AlertCases } from './service.js';

/** A notifier for one channel whose deliveries the ledger records under its id (src/notify's DeliveryNotifier). */
export interface ChannelNotifier extends Notifier {
  readonly id: string;
  resume(n: Notification, reason: 'restart' | 'takeover'): Promise<unknown>;
}

const isChannel = (n: Notifier): n is ChannelNotifier =>
  typeof (n as Partial<ChannelNotifier>).id === 'string' && typeof (n as Partial<ChannelNotifier>).resume === 'function';

/** Hands every owed notification to its channel (not awaiting the deliveries); resolves with how many were handed over. */
export async function resumeNotifications(svc: AlertCases, reason: 'restart' | 'takeover'): Promise<number> {
  const { store, logger } = svc.deps;
  const channels = svc.deps.notifiers.filter(isChannel);
  if (channels.length === 0) return 0;
  const people = new Map(svc.deps.routing.people.map((p) => [p.id, p]));
  let resumed = 0;
  for (const c of await store.activeCases()) {
    if (c.state !== 'open') continue;
    const ledger = await store.ledger(c.id);
    for (const channel of channels) {
      for (const owed of owedNotifications(c, ledger, channel.id)) {
        const recipients = owed.recipients.map((id) => people.get(id)).filter((p): p is Person => p !== undefined);
        const n: Notification = { case: c, entry: owed.entry, recipients, step: owed.step, reason: owed.reason, ...(owed.fallback ? { fallback: true } : {}), ledger: svc };
        // (the channel logs it at info once past its route and dedup: a route that mutes it records nothing, so it is owed at every start)
        logger.debug({ caseId: c.id, channel: channel.id, entry: owed.entry.seq, step: owed.step, reason }, 'notification never delivered nor given up: handed to its channel again');
        channel.resume(n, reason).catch((e: unknown) => logger.error({ err: e, caseId: c.id, channel: channel.id }, 'notifier failed'));
        resumed++;
      }
    }
  }
  return resumed;
}
