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

/** Fields every kind accepts; `ts` defaults to the receive time. */
export const COMMON_FIELDS: Record<string, TSchema> = {
  ts: Type.Integer({ minimum: 0 }),
  seq: Type.Integer({ minimum: 0 }),
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
  accepted: Reading[];
  rejected: ValidationError[];
  /** how many fields no schema knows were ignored */
  unknownFields: number;
}

/** Validates a reading payload from `device` received at `now` (ms since epoch). */
export function validateReadings(payload: Buffer, device: DeviceInfo, now: number, opts: ValidateOptions = {}): ValidationResult {
  const result: ValidationResult = { accepted: [], rejected: [], unknownFields: 0 };
  const maxBatch = opts.maxBatch ?? MAX_BATCH;
  if (opts.maxBytes !== undefined && payload.length > opts.maxBytes) {
    result.rejected.push(new ValidationError('GW_ERR_PAYLOAD_TOO_LARGE', 'payload', payload.length, `size must be <= ${opts.maxBytes} bytes`));
    return result;
  }
  let data: unknown;
  try {
    data = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    result.rejected.push(new ValidationError('GW_ERR_PAYLOAD_JSON', 'payload', preview(payload), `must be valid JSON (${(e as Error).message})`));
    return result;
  }
  if (Array.isArray(data)) {
    if (data.length > maxBatch) {
      result.rejected.push(new ValidationError('GW_ERR_PAYLOAD_BATCH_SIZE', 'payload', data.length, `a batch holds at most ${maxBatch} readings`));
      return result;
    }
    data.forEach((el, i) => validateOne(el, `[${i}].`, device, now, opts, result));
    return result;
  }
  validateOne(data, '', device, now, opts, result);
  return result;
}

function validateOne(el: unknown, prefix: string, device: DeviceInfo, now: number, opts: ValidateOptions, out: ValidationResult): void {
  if (el === null || typeof el !== 'object' || Array.isArray(el)) {
    out.rejected.push(new ValidationError('GW_ERR_PAYLOAD_SHAPE', prefix === '' ? 'payload' : prefix.slice(0, -1), el, 'must be a JSON object (or an array of objects)'));
    return;
  }
  const c = COMPILED[device.kind];
  const obj = el as Record<string, unknown>;
  if (!c.validate(obj)) {
    const errors = c.validate.errors ?? [];
    out.rejected.push(fieldError(errors.find((e) => e.keyword === 'anyOf') ?? errors[0], obj, prefix));
    return;
  }
  const values: Record<string, FieldValue> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (!c.known.has(k)) out.unknownFields++;
    else if (k in c.kind.fields) values[k] = v as FieldValue;
  }
  const broken = c.kind.check?.(values);
  if (broken) {
    out.rejected.push(new ValidationError('GW_ERR_PAYLOAD_FIELD', prefix + broken[0], broken[1], broken[2]));
    return;
  }
  const ts = typeof obj.ts === 'number' ? obj.ts : now;
  const maxFuture = opts.maxFutureMs ?? MAX_FUTURE_MS;
  if (ts > now + maxFuture) {
    out.rejected.push(new ValidationError('GW_ERR_PAYLOAD_FUTURE_TS', `${prefix}ts`, ts, `must be at most ${maxFuture / 1000} s after the receive time (${new Date(now).toISOString()})`));
    return;
  }
  const reading: Reading = { device: device.id, kind: device.kind, ts, values };
  if (typeof obj.seq === 'number') reading.seq = obj.seq;
  if (typeof obj.battery === 'number') reading.battery = obj.battery;
  if (typeof obj.rssi === 'number') reading.rssi = obj.rssi;
  out.accepted.push(reading);
}

function fieldError(e: ErrorObject | undefined, obj: Record<string, unknown>, prefix: string): ValidationError {
  if (!e) return new ValidationError('GW_ERR_PAYLOAD_FIELD', prefix === '' ? 'payload' : prefix.slice(0, -1), obj, 'breaks the schema');
  if (e.keyword === 'required') {
    const field = String(e.params.missingProperty);
    return new ValidationError('GW_ERR_PAYLOAD_FIELD', prefix + field, undefined, 'is required');
  }
  const field = e.instancePath.slice(1).split('/')[0] ?? '';
  const rule = e.keyword === 'anyOf' ? describeUnion(e) : (e.message ?? e.keyword);
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
