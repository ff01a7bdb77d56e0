// Decodes one reading payload (a JSON object, or an array of at most 500 objects) for a device
// into accepted readings and rejections. Pure: `now` is passed in. Each kind's field schema comes
// from src/kinds and is compiled with Ajv once, at module load.
import { Type, type TSchema } from '@sinclair/typebox';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { DeviceInfo, FieldValue, KindName, Reading } from '../core/domain.js';
import { ValidationError } from '../core/errors.js';
import { KINDS, KIND_NAMES, type SensorKind } from '../kinds/index.js';

const Ajv = AjvModule.default ?? AjvModule;

export const MAX_BATCH = 500;
export const MAX_FUTURE_MS = 300_000;
/** 2020-01-01T00:00:00Z: an earlier `ts` is a device clock that was never set, not a reading time. */
export const MIN_TS = Date.UTC(2020, 0, 1);

/**
 * Fields every kind accepts; `ts` defaults to the receive time. The bounds are what the store can
 * keep exactly: a seq beyond 2^53 - 1 is not an integer any more once parsed, and InfluxDB cannot
 * take it as one, so it is refused here with a reason instead of being dropped by the writer.
 */
export const COMMON_FIELDS: Record<string, TSchema> = {
  ts: Type.Integer({ minimum: MIN_TS, maximum: Number.MAX_SAFE_INTEGER }),
  seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  battery: Type.Number({ minimum: 0, maximum: 100 }),
  rssi: Type.Number({ minimum: -140, maximum: 0 }),
};

interface CompiledKind {
  kind: SensorKind;
  validate: ValidateFunction;
  known: Set<string>;
  required: string[];
}

const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false, verbose: true });

function compile(kind: SensorKind): CompiledKind {
  const properties: Record<string, TSchema> = { ...COMMON_FIELDS };
  const required: string[] = [];
  for (const [name, spec] of Object.entries(kind.fields)) {
    properties[name] = spec.schema;
    if (spec.required) required.push(name);
  }
  const schema = Type.Object(properties, { additionalProperties: true });
  schema.required = required;
  return { kind, validate: ajv.compile(schema), known: new Set(Object.keys(properties)), required };
}

const COMPILED = Object.fromEntries(KIND_NAMES.map((k) => [k, compile(KINDS[k])])) as Record<KindName, CompiledKind>;

export interface ValidateOptions {
  /** payloads larger than this are refused whole (bytes) */
  maxBytes?: number;
  maxBatch?: number;
  maxFutureMs?: number;
}

export interface ValidationResult {
  accepted: readonly Reading[];
  /**
   * Two independent 32-bit hashes of each accepted reading's content (every stored field, `seq`
   * and the device's `ts`, not the receive time), at 2i and 2i+1: what tells a re-send of a
   * reading from a new reading that reuses its seq.
   */
  hashes: readonly number[];
  /** per accepted reading: true when it had no `ts` and was stamped with the receive time */
  received: readonly boolean[];
  rejected: readonly ValidationError[];
  /** how many fields no schema knows were ignored */
  unknownFields: number;
}

const NONE: readonly never[] = Object.freeze([]);

/** Validates a reading payload from `device` received at `now` (ms since epoch). */
export function validateReadings(payload: Buffer, device: DeviceInfo, now: number, opts: ValidateOptions = {}): ValidationResult {
  if (opts.maxBytes !== undefined && payload.length > opts.maxBytes) {
    return refused(new ValidationError('GW_ERR_PAYLOAD_TOO_LARGE', 'payload', payload.length, `size must be <= ${opts.maxBytes} bytes`));
  }
  let data: unknown;
  try {
    data = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    return refused(new ValidationError('GW_ERR_PAYLOAD_JSON', 'payload', preview(payload), `must be valid JSON (${(e as Error).message})`));
  }
  last.unknown = 0;
  if (!Array.isArray(data)) {
    // one reading (almost every message): arrays of exactly its size, none grown by push
    const one = validateOne(data, -1, device, now, opts);
    if (one instanceof ValidationError) return { accepted: NONE, hashes: NONE, received: NONE, rejected: [one], unknownFields: last.unknown };
    return { accepted: [one], hashes: [last.h1, last.h2], received: [last.received], rejected: NONE, unknownFields: last.unknown };
  }
  const maxBatch = opts.maxBatch ?? MAX_BATCH;
  // an empty batch would be acknowledged with nothing stored and nothing said: refused, like an oversized one
  if (data.length === 0 || data.length > maxBatch) return refused(new ValidationError('GW_ERR_PAYLOAD_BATCH_SIZE', 'payload', data.length, `a batch holds 1 to ${maxBatch} readings`));
  const accepted: Reading[] = [];
  const hashes: number[] = [];
  const received: boolean[] = [];
  const rejected: ValidationError[] = [];
  for (let i = 0; i < data.length; i++) {
    const one = validateOne(data[i], i, device, now, opts);
    if (one instanceof ValidationError) {
      rejected.push(one);
      continue;
    }
    accepted.push(one);
    hashes.push(last.h1, last.h2);
    received.push(last.received);
  }
  return { accepted, hashes, received, rejected, unknownFields: last.unknown };
}

function refused(err: ValidationError): ValidationResult {
  return { accepted: NONE, hashes: NONE, received: NONE, rejected: [err], unknownFields: 0 };
}

/**
 * What validateOne found besides the reading: its content hashes and whether it was stamped with
 * the receive time (read at once by validateReadings: no object per reading), and the unknown
 * fields of the payload so far.
 */
const last = { h1: 0, h2: 0, received: false, unknown: 0 };

/** `index`: the reading's place in a batch, -1 for a payload that is one object (names the field of an error). */
function validateOne(el: unknown, index: number, device: DeviceInfo, now: number, opts: ValidateOptions): Reading | ValidationError {
  const prefix = index < 0 ? '' : `[${index}].`; // (a constant for a single reading: no string built)
  if (el === null || typeof el !== 'object' || Array.isArray(el)) {
    return new ValidationError('GW_ERR_PAYLOAD_SHAPE', prefix === '' ? 'payload' : prefix.slice(0, -1), el, 'must be a JSON object (or an array of objects)');
  }
  const c = COMPILED[device.kind];
  const obj = el as Record<string, unknown>;
  if (!c.validate(obj)) {
    const errors = c.validate.errors ?? [];
    return fieldError(errors.find((e) => e.keyword === 'anyOf') ?? errors[0], obj, prefix);
  }
  const values: Record<string, FieldValue> = {};
  let h1 = FNV_SEED;
  let h2 = ALT_SEED;
  for (const k in obj) {
    if (!c.known.has(k)) {
      last.unknown++;
      continue;
    }
    const v = obj[k] as FieldValue;
    if (k in c.kind.fields) values[k] = v;
    h1 = mixString(h1, k, FNV_PRIME);
    h2 = mixString(h2, k, ALT_PRIME);
    if (typeof v === 'string') {
      h1 = mixString(h1, v, FNV_PRIME);
      h2 = mixString(h2, v, ALT_PRIME);
    } else if (typeof v === 'boolean') {
      h1 = Math.imul(h1 ^ (v ? 1 : 2), FNV_PRIME);
      h2 = Math.imul(h2 ^ (v ? 1 : 2), ALT_PRIME);
    } else {
      F64[0] = v;
      h1 = Math.imul(Math.imul(h1 ^ (U32[0] as number), FNV_PRIME) ^ (U32[1] as number), FNV_PRIME);
      h2 = Math.imul(Math.imul(h2 ^ (U32[1] as number), ALT_PRIME) ^ (U32[0] as number), ALT_PRIME);
    }
  }
  const broken = c.kind.check?.(values);
  if (broken) return new ValidationError('GW_ERR_PAYLOAD_FIELD', prefix + broken[0], broken[1], broken[2]);
  const ts = typeof obj.ts === 'number' ? obj.ts : now;
  const maxFuture = opts.maxFutureMs ?? MAX_FUTURE_MS;
  if (ts > now + maxFuture) {
    return new ValidationError('GW_ERR_PAYLOAD_FUTURE_TS', `${prefix}ts`, ts, `must be at most ${maxFuture / 1000} s after the receive time (${new Date(now).toISOString()})`);
  }
  last.h1 = h1 >>> 0;
  last.h2 = h2 >>> 0;
  last.received = typeof obj.ts !== 'number';
  const { seq, battery, rssi } = obj;
  // the usual reading carries all three: built whole, one allocation in one shape
  if (typeof seq === 'number' && typeof battery === 'number' && typeof rssi === 'number') return { device: device.id, kind: device.kind, ts, values, seq, battery, rssi };
  const reading: Reading = { device: device.id, kind: device.kind, ts, values };
  if (typeof seq === 'number') reading.seq = seq;
  if (typeof battery === 'number') reading.battery = battery;
  if (typeof rssi === 'number') reading.rssi = rssi;
  return reading;
}

// FNV-1a over field names and values, in two lanes with different seeds and primes (52+ bits
// between them): no string or buffer is built per reading. A number is mixed by its 64 bits.
const FNV_SEED = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const ALT_SEED = 0x2f693b5b;
const ALT_PRIME = 0x0100019d;
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

function mixString(h: number, s: string, prime: number): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), prime);
  return Math.imul(h ^ 0xff, prime); // a separator, so "ab"+"c" differs from "a"+"bc"
}

function fieldError(e: ErrorObject | undefined, obj: Record<string, unknown>, prefix: string): ValidationError {
  if (!e) return new ValidationError('GW_ERR_PAYLOAD_FIELD', prefix === '' ? 'payload' : prefix.slice(0, -1), obj, 'breaks the schema');
  if (e.keyword === 'required') {
    const field = String(e.params.missingProperty);
    return new ValidationError('GW_ERR_PAYLOAD_FIELD', prefix + field, undefined, 'is required');
  }
  const field = e.instancePath.slice(1).split('/')[0] ?? '';
  let rule = e.keyword === 'anyOf' ? describeUnion(e) : (e.message ?? e.keyword);
  if (field === 'ts' && (e.keyword === 'minimum' || e.keyword === 'maximum')) rule = `must be ms since epoch, not before ${new Date(MIN_TS).toISOString()}`;
  return new ValidationError('GW_ERR_PAYLOAD_FIELD', prefix + field, obj[field], rule);
}

function describeUnion(e: ErrorObject): string {
  const schema = e.parentSchema as { anyOf?: { const?: unknown }[] } | undefined;
  const consts = (schema?.anyOf ?? []).map((s) => JSON.stringify(s.const));
  return consts.length > 0 ? `must be one of ${consts.join(' | ')}` : 'matches none of the allowed forms';
}

function preview(payload: Buffer): string {
  const s = payload.subarray(0, 80).toString('utf8');
  return payload.length > 80 ? `${s}...` : s;
}
