// The rule language: rules are data (in the config, and as defaults in each sensor kind's module).
// Schemas are TypeBox, so the config loader validates rules with the rest of the file.
import { Type, type Static } from '@sinclair/typebox';
import { KIND_NAMES } from './domain.js';

export const Duration = Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', description: 'a duration such as 30s, 10m, 1h' });
export const ClockTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'local time HH:MM' });
export const SeveritySchema = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);

const Threshold = Type.Object({
  type: Type.Literal('threshold'),
  field: Type.String(),
  op: Type.Union([Type.Literal('gte'), Type.Literal('lte')], { default: 'gte' }),
  raise: Type.Number(),
  clear: Type.Number(),
}, { additionalProperties: false });

/** Noise LAeq against the grid's GB 3096 zone-class limit for the time of day. */
const ZoneLimit = Type.Object({
  type: Type.Literal('zoneLimit'),
  field: Type.String({ default: 'laeq' }),
  /** dB above the limit to raise at; clears at the limit itself */
  margin: Type.Number({ default: 0 }),
  indoor: Type.Boolean({ default: false }),
}, { additionalProperties: false });

const State = Type.Object({
  type: Type.Literal('state'),
  field: Type.String(),
  equals: Type.Union([Type.Boolean(), Type.String(), Type.Number()]),
}, { additionalProperties: false });

const Rate = Type.Object({
  type: Type.Literal('rate'),
  field: Type.String(),
  /** change per minute that raises (positive: rising) */
  perMinute: Type.Number(),
  over: Duration,
}, { additionalProperties: false });

/** Count readings matching `field - minus >= gte` (or `field >= gte`) within a window. */
const Count = Type.Object({
  type: Type.Literal('count'),
  field: Type.String(),
  minus: Type.Optional(Type.String()),
  gte: Type.Number(),
  min: Type.Integer({ minimum: 1 }),
  within: Duration,
}, { additionalProperties: false });

const NoData = Type.Object({
  type: Type.Literal('noData'),
  factor: Type.Number({ minimum: 1, default: 3 }),
  minSilence: Duration,
  grace: Duration,
}, { additionalProperties: false });

const Battery = Type.Object({
  type: Type.Literal('battery'),
  raise: Type.Number({ minimum: 0, maximum: 100 }),
  clear: Type.Number({ minimum: 0, maximum: 100 }),
}, { additionalProperties: false });

const EventCond = Type.Object({
  type: Type.Literal('event'),
  event: Type.Union([Type.Literal('tamper'), Type.Literal('fault'), Type.Literal('button'), Type.Literal('test')]),
}, { additionalProperties: false });

export const ConditionSchema = Type.Union([Threshold, ZoneLimit, State, Rate, Count, NoData, Battery, EventCond]);
export type Condition = Static<typeof ConditionSchema>;

export const RuleScopeSchema = Type.Object({
  community: Type.Optional(Type.String()),
  grid: Type.Optional(Type.String()),
  building: Type.Optional(Type.String()),
  device: Type.Optional(Type.String()),
}, { additionalProperties: false });

export const RuleSpecSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }),
  /** which kind of device it applies to; omitted: every kind */
  kind: Type.Optional(Type.Union(KIND_NAMES.map((k) => Type.Literal(k)))),
  severity: SeveritySchema,
  condition: ConditionSchema,
  /** the condition must hold this long before the alert opens */
  for: Type.Optional(Duration),
  /** an open alert stays at least this long before it may clear (anti-flap) */
  minHold: Type.Optional(Duration),
  /** only active between these local times; may cross midnight */
  window: Type.Optional(Type.Object({ from: ClockTime, to: ClockTime }, { additionalProperties: false })),
  scope: Type.Optional(RuleScopeSchema),
  actions: Type.Optional(Type.Array(Type.Union([Type.Literal('closeValve'), Type.Literal('siren')]))),
  enabled: Type.Optional(Type.Boolean()),
  title: Type.Optional(Type.Object({ zh: Type.String(), en: Type.String() }, { additionalProperties: false })),
  /** rules with the same hazard are one incident per device: a higher severity raises the open case instead of opening a second */
  hazard: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' })),
}, { additionalProperties: false });

export type RuleSpec = Static<typeof RuleSpecSchema>;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(d: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}
