import { describe, it, expect } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { parseCommandAck, parseDeviceEvent, parseStatus } from '../../src/ingest/messages.js';

const NOW = 1_800_000_000_000;
const b = (s: string): Buffer => Buffer.from(s);

function thrown(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('device messages', () => {
  it('parses events, keeping extra fields as detail', () => {
    expect(parseDeviceEvent(b('{"type":"tamper","side":"back"}'), 'd1', NOW)).toEqual({ device: 'd1', ts: NOW, type: 'tamper', detail: { side: 'back' } });
    expect(parseDeviceEvent(b(`{"type":"test","ts":${NOW - 5}}`), 'd1', NOW)).toEqual({ device: 'd1', ts: NOW - 5, type: 'test' });
  });

  it('refuses bad events naming the field', () => {
    expect(thrown(() => parseDeviceEvent(b('{"type":"party"}'), 'd1', NOW))).toMatchObject({ code: 'GW_ERR_PAYLOAD_FIELD', field: 'type', value: 'party' });
    expect(thrown(() => parseDeviceEvent(b('[1]'), 'd1', NOW))).toMatchObject({ code: 'GW_ERR_PAYLOAD_SHAPE' });
    expect(thrown(() => parseDeviceEvent(b('{'), 'd1', NOW))).toMatchObject({ code: 'GW_ERR_PAYLOAD_JSON' });
    expect(thrown(() => parseDeviceEvent(b('{"type":"test","ts":"x"}'), 'd1', NOW))).toMatchObject({ field: 'ts', value: 'x' });
  });

  it('parses command acks', () => {
    expect(parseCommandAck(b('{"id":"c1","ok":false,"why":"jammed"}'), 'd1', NOW)).toEqual({ device: 'd1', id: 'c1', ok: false, ts: NOW, detail: { why: 'jammed' } });
    expect(thrown(() => parseCommandAck(b('{"id":"c1"}'), 'd1', NOW))).toMatchObject({ field: 'ok', value: undefined });
    expect(thrown(() => parseCommandAck(b('{"ok":true}'), 'd1', NOW))).toMatchObject({ field: 'id' });
  });

  it('parses status', () => {
    expect(parseStatus(b('online'))).toBe('online');
    expect(parseStatus(b('"offline"'))).toBe('offline');
    expect(thrown(() => parseStatus(b('maybe')))).toMatchObject({ field: 'payload', value: 'maybe' });
  });
});
