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
