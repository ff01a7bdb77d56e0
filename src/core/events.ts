// The hub's in-process bus: stages publish what happened; later stages listen. Typed so a
// listener cannot misread a payload.
import { EventEmitter } from 'node:events';
import type { AlertChange } from './alert-types.js';
import type { DeviceEvent, DeviceInfo, PresenceEvent, Reading } from './domain.js';

export interface Rejection {
  device: string;
  ts: number;
  code: string;
  field?: string;
  value?: unknown;
  rule: string;
}

export interface CommandAck {
  device: string;
  id: string;
  ok: boolean;
  ts: number;
  detail?: Record<string, unknown>;
}

/** A command the device confirmed on cmd/ack (`ok` is the device's own verdict). */
export interface CommandResult {
  id: string;
  device: string;
  ok: boolean;
  /** how many times it went out before the ack came */
  sends: number;
  detail?: Record<string, unknown>;
}

export interface SendCommandOptions {
  /** called before each re-send: `send` is its number (2 = the first re-send) */
  onResend?(send: number, reason: 'timeout' | 'online'): void;
  /**
   * aborted: stop sending it and reject, recording nothing (cluster mode: the rules leader stood
   * down and the next one re-sends the command from the case store)
   */
  signal?: AbortSignal;
}

/** Hub → device commands: resolves on the device's cmd/ack, rejects GW_ERR_COMMAND_UNCONFIRMED without one. */
export interface CommandSender {
  send(device: string, payload: Record<string, unknown>, opts?: SendCommandOptions): Promise<CommandResult>;
}

/**
 * What the hub passes on to the rules leader in cluster mode (the Redis stream): a device's input
 * once accepted. Relaying it is part of accepting it: the PUBACK waits for the relay as for the store.
 */
export type RelayInput =
  | { type: 'reading'; reading: Reading }
  | { type: 'presence'; event: PresenceEvent }
  | { type: 'deviceEvent'; event: DeviceEvent }
  | { type: 'cmdAck'; ack: CommandAck };

export interface HubEventMap {
  reading: [reading: Reading, device: DeviceInfo];
  presence: [event: PresenceEvent, device: DeviceInfo];
  deviceEvent: [event: DeviceEvent, device: DeviceInfo];
  cmdAck: [ack: CommandAck, device: DeviceInfo];
  rejected: [rejection: Rejection];
  alert: [change: AlertChange];
}

export class HubBus extends EventEmitter<HubEventMap> {
  constructor() {
    super({ captureRejections: true });
    this.setMaxListeners(50);
  }
}
