// Non-reading device messages: `event` and `cmd/ack` payloads. Pure: `now` is passed in.
import { DEVICE_EVENT_TYPES, type DeviceEvent } from '../core/domain.js';
import { ValidationError } from '../core/errors.js';
import type { CommandAck } from '../core/events.js';
import { MIN_TS } from './validate.js';

export const EVENT_TYPES = DEVICE_EVENT_TYPES;

function parseObject(payload: Buffer): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    throw new ValidationError('GW_ERR_PAYLOAD_JSON', 'payload', payload.subarray(0, 80).toString('utf8'), `must be valid JSON (${(e as Error).message})`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ValidationError('GW_ERR_PAYLOAD_SHAPE', 'payload', data, 'must be a JSON object');
  }
  return data as Record<string, unknown>;
}

function tsOf(obj: Record<string, unknown>, now: number): number {
  const ts = obj.ts;
  if (ts === undefined) return now;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < MIN_TS) throw new ValidationError('GW_ERR_PAYLOAD_FIELD', 'ts', ts, `must be an integer (ms since epoch), not before ${new Date(MIN_TS).toISOString()}`);
  return ts;
}

/** `{"type":"test"|"tamper"|"fault"|"button", ...}`; other fields become `detail`. */
export function parseDeviceEvent(payload: Buffer, device: string, now: number): DeviceEvent {
  const obj = parseObject(payload);
  const { type, ts: _ts, ...rest } = obj;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError('GW_ERR_PAYLOAD_FIELD', 'type', type, `must be one of ${EVENT_TYPES.map((t) => `"${t}"`).join(' | ')}`);
  }
  const event: DeviceEvent = { device, ts: tsOf(obj, now), type: type as DeviceEvent['type'] };
  if (Object.keys(rest).length > 0) event.detail = rest;
  return event;
}

/** `{"id":"...","ok":true}`; other fields become `detail`. */
export function parseCommandAck(payload: Buffer, device: string, now: number): CommandAck {
  const obj = parseObject(payload);
  const { id, ok, ts: _ts, ...rest } = obj;
  if (typeof id !== 'string' || id.length === 0) throw new ValidationError('GW_ERR_PAYLOAD_FIELD', 'id', id, 'must be a non-empty string (the command id)');
  if (typeof ok !== 'boolean') throw new ValidationError('GW_ERR_PAYLOAD_FIELD', 'ok', ok, 'must be a boolean');
  const ack: CommandAck = { device, id, ok, ts: tsOf(obj, now) };
  if (Object.keys(rest).length > 0) ack.detail = rest;
  return ack;
}

/** `online` or `offline` (plain text, or JSON string). */
export function parseStatus(payload: Buffer): 'online' | 'offline' {
  const s = payload.toString('utf8').trim().replace(/^"(.*)"$/, '$1');
  if (s === 'online' || s === 'offline') return s;
  throw new ValidationError('GW_ERR_PAYLOAD_FIELD', 'payload', s.slice(0, 80), 'status must be "online" or "offline"');
}
