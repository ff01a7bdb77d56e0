// Pure: domain objects -> StorePoint, and the field types every measurement is written with.
// InfluxDB 1.x fixes a field's type on its first write in a shard and rejects a later write of
// another type ("field type conflict"), so each field has ONE type decided here from the kind's
// field spec (Type.Integer -> integer, Type.Number -> float, Type.Boolean -> boolean, else string)
// and node-influx writes it that way through the schemas from `influxSchemas()`.
import { FieldType, type ISchemaOptions } from 'influx';
import type { AlertChange } from '../core/alert-types.js';
import type { DeviceInfo, FieldValue, PresenceEvent, Reading, StorePoint } from '../core/domain.js';
import { KINDS } from '../kinds/index.js';

export type StoreFieldType = 'integer' | 'float' | 'boolean' | 'string';

export const PLACEMENT_TAGS = ['device', 'street', 'community', 'grid', 'building'] as const;
export const ALERT_TAGS = [...PLACEMENT_TAGS, 'rule', 'severity'] as const;

export const PRESENCE_MEASUREMENT = 'presence';
export const ALERT_MEASUREMENT = 'alert';

/** Fields every reading may carry besides the kind's own. */
export const COMMON_READING_FIELDS: Record<string, StoreFieldType> = { battery: 'float', rssi: 'float', seq: 'integer' };

function typeOfSchema(schema: unknown): StoreFieldType {
  const t = typeof schema === 'object' && schema !== null ? (schema as { type?: unknown }).type : undefined;
  if (t === 'integer') return 'integer';
  if (t === 'number') return 'float';
  if (t === 'boolean') return 'boolean';
  return 'string';
}

function buildFieldTypes(): Record<string, Record<string, StoreFieldType>> {
  const out: Record<string, Record<string, StoreFieldType>> = {};
  for (const kind of Object.values(KINDS)) {
    const fields: Record<string, StoreFieldType> = {};
    for (const [name, spec] of Object.entries(kind.fields)) fields[name] = typeOfSchema(spec.schema);
    out[kind.measurement] = { ...fields, ...COMMON_READING_FIELDS };
  }
  out[PRESENCE_MEASUREMENT] = { online: 'boolean', cause: 'string' };
  out[ALERT_MEASUREMENT] = { state: 'string', action: 'string', case_id: 'string' };
  return out;
}

/** measurement -> field -> type, for every measurement gridwatch writes. */
export const FIELD_TYPES: Readonly<Record<string, Readonly<Record<string, StoreFieldType>>>> = buildFieldTypes();

const INFLUX_TYPE: Record<StoreFieldType, FieldType> = {
  integer: FieldType.INTEGER,
  float: FieldType.FLOAT,
  boolean: FieldType.BOOLEAN,
  string: FieldType.STRING,
};

/** node-influx schemas so integers go out as `12i` and floats as `12` (never flipping). */
export function influxSchemas(database: string): ISchemaOptions[] {
  return Object.entries(FIELD_TYPES).map(([measurement, fields]) => ({
    database,
    measurement,
    fields: Object.fromEntries(Object.entries(fields).map(([f, t]) => [f, INFLUX_TYPE[t]])),
    tags: measurement === ALERT_MEASUREMENT ? [...ALERT_TAGS] : [...PLACEMENT_TAGS],
  }));
}

/** InfluxDB drops empty tag values; leave them out so the point stays valid. */
function nonEmpty(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in tags) if (tags[k] !== '') out[k] = tags[k] as string;
  return out;
}

// One frozen tag object per device, rebuilt when its placement changes: every point of a device
// shares it, so the line-protocol encoder escapes its series key once (line-protocol.ts).
type Placement = Pick<DeviceInfo, 'id' | 'street' | 'community' | 'grid' | 'building'>;
const tagCache = new WeakMap<DeviceInfo, { of: Placement; tags: Readonly<Record<string, string>> }>();

function placementTags(device: DeviceInfo): Record<string, string> {
  const hit = tagCache.get(device);
  const of = hit?.of;
  if (hit && of && of.id === device.id && of.street === device.street && of.community === device.community && of.grid === device.grid && of.building === device.building) return hit.tags;
  const tags = Object.freeze(nonEmpty({ device: device.id, street: device.street, community: device.community, grid: device.grid, building: device.building }));
  tagCache.set(device, { of: { id: device.id, street: device.street, community: device.community, grid: device.grid, building: device.building }, tags });
  return tags;
}

function fitsType(value: FieldValue, type: StoreFieldType): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
  }
}

/**
 * Why a point cannot be written with the declared field types, or undefined when it can.
 * Measurements gridwatch does not declare pass with any finite number / boolean / string.
 */
export function pointProblem(p: StorePoint): string | undefined {
  if (typeof p.measurement !== 'string' || p.measurement === '') return 'measurement must be a non-empty string';
  if (typeof p.ts !== 'number' || !Number.isFinite(p.ts) || p.ts <= 0) return `ts ${String(p.ts)} must be a positive number of ms since epoch`;
  if (p.ns !== undefined && !(Number.isInteger(p.ns) && p.ns >= 0 && p.ns < 1_000_000)) return `ns ${String(p.ns)} must be an integer 0..999999`;
  const declared = FIELD_TYPES[p.measurement];
  const tags = tagProblem(p, declared !== undefined);
  if (tags !== undefined) return tags;
  let fields = 0;
  for (const name in p.fields) {
    fields++;
    const value = p.fields[name];
    if (value === undefined) return `field '${name}' is undefined`;
    const type = declared ? declared[name] : undefined;
    if (declared && !type) return `field '${name}' is not declared for measurement '${p.measurement}'`;
    if (type && !fitsType(value, type)) return `field '${name}' value ${JSON.stringify(value)} is not ${type}`;
    if (!type && typeof value === 'number' && !Number.isFinite(value)) return `field '${name}' value ${String(value)} is not finite`;
  }
  return fields === 0 ? 'a point needs at least one field' : undefined;
}

// A batch of points the ingest built (readingPoint) from readings validate.ts accepted can always
// be written: every kind's fields are typed and bounded, a reading has at least one field, its
// time and seq are safe integers (tests/ingest/validate.test.ts checks this for every kind). Such
// a batch is vouched for once, and the writer does not check each point again (pointProblem).
const vouched = new WeakSet<readonly StorePoint[]>();

/** Marks a batch of points built from validated readings; returns it. Do not add to it afterwards. */
export function vouch<T extends readonly StorePoint[]>(points: T): T {
  vouched.add(points);
  return points;
}

export function isVouched(points: readonly StorePoint[]): boolean {
  return vouched.has(points);
}

// Frozen tag objects (one per device, shared by all its points: see placementTags) that passed
// as placement tags of a declared measurement: checked once, not per point.
const placementChecked = new WeakSet<object>();

function tagProblem(p: StorePoint, declared: boolean): string | undefined {
  const placement = declared && p.measurement !== ALERT_MEASUREMENT;
  if (placement && placementChecked.has(p.tags)) return undefined;
  for (const k in p.tags) {
    const v = p.tags[k];
    if (typeof v !== 'string' || v === '') return `tag '${k}' must be a non-empty string`;
  }
  if (declared) {
    const allowed: readonly string[] = placement ? PLACEMENT_TAGS : ALERT_TAGS;
    const extra = Object.keys(p.tags).find((t) => !allowed.includes(t));
    if (extra) return `tag '${extra}' is not declared for measurement '${p.measurement}'`;
  }
  if (placement && Object.isFrozen(p.tags)) placementChecked.add(p.tags);
  return undefined;
}

/**
 * A reading as a point: tags from the registry's device, fields = values + battery/rssi/seq.
 * `ns` is the sub-millisecond part of its time that keeps it apart from the device's other
 * readings of the same millisecond (chosen by the ingest stage).
 */
export function readingPoint(reading: Reading, device: DeviceInfo, ns = 0): StorePoint {
  const kind = KINDS[device.kind];
  const types = FIELD_TYPES[kind.measurement] ?? {};
  const fields: Record<string, FieldValue> = {};
  for (const name in reading.values) {
    // Only declared fields: the validator already counted unknown ones; keeping the set closed keeps types stable.
    const value = reading.values[name];
    if (value !== undefined && types[name] && !(name in COMMON_READING_FIELDS)) fields[name] = value;
  }
  if (reading.battery !== undefined) fields.battery = reading.battery;
  if (reading.rssi !== undefined) fields.rssi = reading.rssi;
  if (reading.seq !== undefined) fields.seq = Math.trunc(reading.seq);
  const point: StorePoint = { measurement: kind.measurement, tags: placementTags(device), fields, ts: Math.trunc(reading.ts) };
  if (ns !== 0) point.ns = ns;
  return point;
}

export function presencePoint(ev: PresenceEvent, device: DeviceInfo): StorePoint {
  return { measurement: PRESENCE_MEASUREMENT, tags: placementTags(device), fields: { online: ev.online, cause: ev.cause }, ts: ev.ts };
}

/** One alert case transition; the ledger entry's time is the point's time. */
export function alertPoint(change: AlertChange): StorePoint {
  const c = change.case;
  return {
    measurement: ALERT_MEASUREMENT,
    tags: nonEmpty({ device: c.device, street: c.street, community: c.community, grid: c.grid, building: c.building, rule: c.rule, severity: c.severity }),
    fields: { state: c.state, action: change.entry.action, case_id: c.id },
    ts: change.entry.ts,
  };
}
