// What a device publishes for the hub alone (reading, status, event: acl.ts `forHubOnly`) is
// ingested in authorizePublish, and no one can receive it: a device may subscribe only to its own
// `cmd` and `error` (acl.ts `maySubscribe`), `authorizeForward` hands it nothing else, and the hub
// subscribes to none of it. aedes would still run its whole publish for every such message once
// it is acknowledged: a Packet copy, the retained store, the offline queue of every matching
// subscription (persistence.subscriptionsByTopic + outgoingEnqueueCombi), the emitter's topic
// matching (mqemitter over qlobber; in cluster mode the local half of the split emitter) and the
// 'publish' event, about a tenth of the hub's CPU per reading, delivering to nobody.
// `endFanOut` ends aedes' publish at once for the packets `forNobody` names, and leaves every
// other publish as it was: the device's `cmd/ack` (cluster mode subscribes to it through aedes),
// Last Wills, aedes' `$SYS` traffic and the hub's own `cmd` and `error` publishes.
// aedes (1.x) has no hook for this: its protocol handlers call the instance's `publish(packet,
// client, done)` (after the PUBACK for QoS 1, before the PUBREC for QoS 2), so that is wrapped.
import type { Aedes, Client, PublishPacket } from 'aedes';

type Publish = (packet: PublishPacket, client: Client | null | ((err?: Error) => void), done?: (err?: Error) => void) => void;

/** Makes `aedes.publish` skip the fan-out of a packet a client published when `forNobody(client, packet)`. */
export function endFanOut(aedes: Aedes, forNobody: (client: Client, packet: PublishPacket) => boolean): void {
  const broker = aedes as unknown as { publish: Publish };
  const fanOut = broker.publish.bind(aedes) as Publish;
  broker.publish = (packet, client, done) => {
    if (client && typeof client !== 'function' && forNobody(client, packet)) return done?.();
    fanOut(packet, client, done);
  };
}

/**
 * Single mode: aedes announces every connect and disconnect on `$SYS/<broker>/new/clients` and
 * `$SYS/<broker>/disconnect/clients`, each a whole publish (a Packet, the retained check, the
 * emitter's topic matching), 2-3 % of a reconnect storm. With one broker no one hears them: a
 * device may not subscribe to `$SYS` (acl.ts), the hub subscribes to none of it in single mode,
 * and aedes' own listener acts only on another broker's announcement (a take-over across brokers).
 * Cluster mode needs them (broker.ts: a device taken over by another hub was never offline).
 */
export function endClientAnnouncements(aedes: Aedes): void {
  const announcements = new Set([`$SYS/${aedes.id}/new/clients`, `$SYS/${aedes.id}/disconnect/clients`]);
  const broker = aedes as unknown as { publish: Publish };
  const publish = broker.publish.bind(aedes) as Publish;
  broker.publish = (packet, client, done) => {
    if ((client === null || typeof client === 'function') && announcements.has(packet.topic)) {
      return (typeof client === 'function' ? client : done)?.();
    }
    publish(packet, client, done);
  };
}
