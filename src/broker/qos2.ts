// QoS 2 exactly once at the ingest. aedes recognises a QoS 2 PUBLISH re-sent with DUP before its
// PUBREL only after authorizePublish has run, and authorizePublish is where readings are
// ingested; so the broker asks here first. Per device (a re-send may come on a new connection),
// the recent QoS 2 packet ids and how their first delivery went: a DUP re-send waits for the
// first delivery and is then acknowledged without being ingested again, or is ingested if the
// first one failed. A PUBLISH without DUP is always a new message (an id is reused only after
// PUBCOMP), so no PUBREL needs to be observed. Bounded: ids per device and devices.
import type { PublishPacket } from 'aedes';

interface First {
  done: Promise<void>;
  resolve(): void;
  reject(e: Error): void;
}

const MAX_IDS = 256;
const MAX_DEVICES = 20_000;

export class Qos2Tracker {
  private readonly devices = new Map<string, Map<number, First>>();

  /** For a DUP re-send of a QoS 2 message seen before: how its first delivery ends. Else tracks it as new. */
  original(device: string, packet: PublishPacket): Promise<void> | undefined {
    if (packet.qos !== 2 || packet.messageId === undefined) return undefined;
    let ids = this.devices.get(device);
    const seen = ids?.get(packet.messageId);
    if (packet.dup && seen) return seen.done;
    if (!ids) {
      ids = new Map();
      this.devices.set(device, ids);
      if (this.devices.size > MAX_DEVICES) this.devices.delete(this.devices.keys().next().value as string);
    }
    let resolve = (): void => undefined;
    let reject = (_e: Error): void => undefined;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => undefined); // a failed first delivery is handled by whoever waits on it
    ids.delete(packet.messageId);
    ids.set(packet.messageId, { done, resolve, reject });
    if (ids.size > MAX_IDS) ids.delete(ids.keys().next().value as number);
    return undefined;
  }

  /** The message was ingested (and is about to be acknowledged). */
  settled(device: string, packet: PublishPacket): void {
    if (packet.qos === 2 && packet.messageId !== undefined) this.devices.get(device)?.get(packet.messageId)?.resolve();
  }

  /** The message failed; a re-send is ingested again. */
  failed(device: string, packet: PublishPacket): void {
    if (packet.qos !== 2 || packet.messageId === undefined) return;
    const ids = this.devices.get(device);
    const first = ids?.get(packet.messageId);
    if (!first) return;
    ids?.delete(packet.messageId);
    first.reject(new Error('first delivery failed'));
  }
}
