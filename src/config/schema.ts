// The config file's schema. Key names are part of the public surface (shared/contract.md).
import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN, KIND_NAMES, ROLES } from '../core/domain.js';
import { ClockTime, Duration, RuleSpecSchema, SeveritySchema } from '../core/rule-spec.js';
import { SECRET_HASH_PATTERN } from '../core/secret.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const SecretHash = Type.String({ pattern: SECRET_HASH_PATTERN, description: 'a scrypt hash from `gridwatch secret hash <plain>`' });
export const NoiseZoneSchema = Type.Union(['0', '1', '2', '3', '4a', '4b'].map((z) => Type.Literal(z)));
const KindSchema = Type.Union(KIND_NAMES.map((k) => Type.Literal(k)));
const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));

const Building = Type.Object({ id: Id, name: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const Grid = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1 }),
  noiseZone: Type.Optional(NoiseZoneSchema),
  buildings: Type.Array(Building, { default: [] }),
}, { additionalProperties: false });
const Community = Type.Object({ id: Id, name: Type.String({ minLength: 1 }), grids: Type.Array(Grid, { default: [] }) }, { additionalProperties: false });
const Street = Type.Object({ id: Id, name: Type.String({ minLength: 1 }), communities: Type.Array(Community, { default: [] }) }, { additionalProperties: false });

const Device = Type.Object({
  id: Type.String({ pattern: DEVICE_ID_PATTERN }),
  kind: KindSchema,
  building: Id,
  unit: Type.Optional(Type.String()),
  /** omitted: the kind's `defaultIntervalS` (src/kinds), filled in by parseConfig */
  intervalS: Type.Integer({ minimum: 1, maximum: 7 * 86400 }),
  secretHash: SecretHash,
  /** a gas valve actuator for this unit: critical gas alerts send it `valve closed` */
  valve: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

const Person = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1 }),
  role: RoleSchema,
  grids: Type.Array(Id, { default: [] }),
  phone: Type.Optional(Type.String()),
  contact: Type.Optional(Type.Record(Type.String(), Type.String())),
  passwordHash: Type.Optional(SecretHash),
  lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')])),
}, { additionalProperties: false });

const Shift = Type.Object({
  person: Id,
  /** ISO weekdays 1 (Mon) .. 7 (Sun); omitted: every day */
  days: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }))),
  from: ClockTime,
  to: ClockTime,
}, { additionalProperties: false });

const Roster = Type.Object({ grid: Id, shifts: Type.Array(Shift) }, { additionalProperties: false });

const EscalationStep = Type.Object({
  /** who is notified at this step */
  to: Type.Union([Type.Literal('grid_worker'), Type.Literal('grid_leader'), Type.Literal('street_duty')]),
  /** time after the case opened at which this step fires */
  after: Duration,
}, { additionalProperties: false });

const Escalation = Type.Object({
  critical: Type.Array(EscalationStep, { default: [{ to: 'grid_worker', after: '0s' }, { to: 'grid_leader', after: '2m' }, { to: 'street_duty', after: '5m' }] }),
  warning: Type.Array(EscalationStep, { default: [{ to: 'grid_worker', after: '0s' }, { to: 'grid_leader', after: '15m' }, { to: 'street_duty', after: '60m' }] }),
  info: Type.Array(EscalationStep, { default: [{ to: 'grid_worker', after: '0s' }] }),
  /** a resolved case re-opens instead of a new one when its condition returns within this window */
  reopenWithin: Type.String({ ...Duration, default: '30m' }),
}, { additionalProperties: false });

const Channel = Type.Object({
  id: Id,
  type: Type.Union([Type.Literal('webhook'), Type.Literal('wecom'), Type.Literal('dingtalk'), Type.Literal('feishu'), Type.Literal('siren')]),
  /** required for webhook, wecom, dingtalk, feishu (checked when the channel is built) */
  url: Type.Optional(Type.String({ minLength: 1 })),
  /** siren: the MQTT devices that receive `{"cmd":"siren","on":true}` */
  devices: Type.Optional(Type.Array(Type.String({ pattern: DEVICE_ID_PATTERN }))),
  /** HMAC key (webhook) or signing secret (dingtalk, feishu); use an env reference `env:NAME` */
  secret: Type.Optional(Type.String()),
  minSeverity: Type.Optional(SeveritySchema),
  grids: Type.Optional(Type.Array(Id)),
  maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 5 }),
}, { additionalProperties: false });

const Silence = Type.Object({
  id: Id,
  scope: Type.Object({ device: Type.Optional(Type.String()), building: Type.Optional(Id), grid: Type.Optional(Id) }, { additionalProperties: false }),
  from: Type.String({ format: 'date-time' }),
  until: Type.String({ format: 'date-time' }),
  author: Type.String({ minLength: 1 }),
  reason: Type.Optional(Type.String()),
}, { additionalProperties: false });

export const ConfigSchema = Type.Object({
  timezone: Type.String({ default: 'Asia/Shanghai' }),
  mqtt: Type.Object({
    port: Port,
    host: Type.String({ default: '0.0.0.0' }),
    maxPacketBytes: Type.Integer({ minimum: 256, maximum: 16 * 1024 * 1024, default: 256 * 1024 }),
    /** per-device messages per second, sustained; bursts up to `rateBurst` */
    ratePerSecond: Type.Number({ minimum: 0.01, default: 20 }),
    rateBurst: Type.Integer({ minimum: 1, default: 100 }),
    /** a command (valve, siren) waits this long for the device's cmd/ack before its first re-send; each re-send waits twice as long */
    commandAckMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 5_000 }),
    /** sends in all before a command is recorded as not confirmed (5 s, 10 s, 20 s, 40 s windows by default) */
    commandAttempts: Type.Integer({ minimum: 1, maximum: 10, default: 4 }),
  }, { additionalProperties: false, default: { port: 1883 } }),
  http: Type.Object({
    port: Port,
    host: Type.String({ default: '0.0.0.0' }),
    publicUrl: Type.Optional(Type.String()),
  }, { additionalProperties: false, default: { port: 8080 } }),
  influx: Type.Object({
    url: Type.Optional(Type.String({ pattern: '^https?://' })),
    database: Type.String({ default: 'gridwatch' }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    /** port of the managed influxd when no url is given; 0 picks a free port */
    managedPort: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
    batchSize: Type.Integer({ minimum: 1, maximum: 50000, default: 5000 }),
    /** the longest a point waits before it is sent; presence points (no acknowledgement waits on them) are gathered this long */
    flushMs: Type.Integer({ minimum: 1, maximum: 60000, default: 100 }),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 120000, default: 5000 }),
    /** write POSTs in flight at once (the next batch is sent while InfluxDB works on the previous one); 1 = one at a time */
    postsInFlight: Type.Integer({ minimum: 1, maximum: 8, default: 2 }),
    /** points waiting in memory before the hub stops reading device sockets (until half are sent); default 10 x batchSize */
    maxPendingPoints: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
  }, { additionalProperties: false, default: {} }),
  dataDir: Type.String({ default: './data' }),
  streets: Type.Array(Street, { default: [] }),
  devices: Type.Array(Device, { default: [] }),
  people: Type.Array(Person, { default: [] }),
  rosters: Type.Array(Roster, { default: [] }),
  escalation: Type.Object(Escalation.properties, { additionalProperties: false, default: {} }),
  /** the street duty room: who gets street-level escalations */
  streetDuty: Type.Array(Id, { default: [] }),
  rules: Type.Array(RuleSpecSchema, { default: [] }),
  silences: Type.Array(Silence, { default: [] }),
  metrics: Type.Object({
    /** GET /metrics needs "Authorization: Bearer <token>" when set (env GRIDWATCH_METRICS_TOKEN overrides); unset: open */
    token: Type.Optional(Type.String({ minLength: 16 })),
    /** label rejection counters with device ids (off: /metrics names no device) */
    deviceLabels: Type.Boolean({ default: false }),
  }, { additionalProperties: false, default: {} }),
  alerting: Type.Object({
    enabled: Type.Boolean({ default: true, description: 'attach the rules engine and alert cases (and the /alerts and /silences API); false: readings and presence are still stored, no rules run, no cases open (e.g. to measure ingest without rules)' }),
  }, { additionalProperties: false, default: {} }),
  channels: Type.Array(Channel, { default: [] }),
  /** cluster mode (docs/deploy.md): N identical hubs on one Redis and one PostgreSQL behind HAProxy; omitted: single mode (embedded aedes, SQLite) */
  cluster: Type.Optional(Type.Object({
    /** this hub's name, unique in the cluster (logs, leases, the HAProxy server name) */
    hubId: Id,
    /** redis://[:password@]host:port[/db] shared by every hub (broker emitter + persistence, reading stream, last-seen, socket.io adapter) */
    redisUrl: Type.String({ pattern: '^rediss?://' }),
    /** postgres://user[:password]@host:port/db shared by every hub (cases, ledger, registry, sessions, the rules leader's lease); not behind a transaction-mode pooler */
    postgresUrl: Type.String({ pattern: '^postgres(ql)?://' }),
    /** a leader that stops answering loses the rules lease after about this long */
    leaseMs: Type.Integer({ minimum: 1000, maximum: 60_000, default: 3000 }),
  }, { additionalProperties: false })),
  reports: Type.Object({
    /** a device is offline after k x its report interval without data */
    offlineFactor: Type.Number({ minimum: 1, default: 3 }),
    night: Type.Object({ from: ClockTime, to: ClockTime }, { additionalProperties: false, default: { from: '22:00', to: '06:00' } }),
    dailyCron: Type.String({ default: '0 7 * * *' }),
    monthlyCron: Type.String({ default: '0 7 1 * *' }),
  }, { additionalProperties: false, default: {} }),
}, { additionalProperties: false });

export type Config = Static<typeof ConfigSchema>;
export type DeviceConfig = Static<typeof Device>;
export type PersonConfig = Static<typeof Person>;
export type ChannelConfig = Static<typeof Channel>;
export type SilenceConfig = Static<typeof Silence>;
export type ClusterConfig = NonNullable<Config['cluster']>;
