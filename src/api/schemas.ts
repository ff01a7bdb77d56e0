// Request/response schemas (TypeBox → JSON Schema): fastify validates requests and serialises
// responses with them, and @fastify/swagger publishes them as OpenAPI.
import { Type, type TSchema } from '@sinclair/typebox';
import { KIND_NAMES, ROLES } from '../core/domain.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Values = Type.Record(Type.String(), Type.Union([Type.Number(), Type.Boolean(), Type.String()]));
export const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const Kind = Type.Union(KIND_NAMES.map((k) => Type.Literal(k)));
export const SeverityT = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
export const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });
/** ms since epoch, or an ISO 8601 date-time (query strings) */
export const TimeQ = Type.String({ pattern: '^([0-9]{1,15}|[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})?)?)$', description: 'ms since epoch or ISO 8601' });

export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String(), details: Type.Record(Type.String(), Type.Unknown()) }, { $id: 'GwError' });
const ErrRef = Type.Ref('GwError');
export const errors = { 400: ErrRef, 401: ErrRef, 403: ErrRef, 404: ErrRef, 409: ErrRef, 429: ErrRef };

export const User = Type.Object({ id: Type.String(), name: Type.String(), role: Role, grids: Type.Array(Type.String()), lang: Type.Union([Type.Literal('zh'), Type.Literal('en')]) });

export const SiteTree = Type.Array(Type.Object({
  id: Type.String(), name: Type.String(),
  communities: Type.Array(Type.Object({
    id: Type.String(), name: Type.String(),
    grids: Type.Array(Type.Object({
      id: Type.String(), name: Type.String(), noiseZone: Type.String(),
      buildings: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
    })),
  })),
}));

export const DeviceView = Type.Object({
  id: Type.String(), kind: Kind, street: Type.String(), community: Type.String(), grid: Type.String(), building: Type.String(),
  unit: Nullable(Type.String()), intervalS: Type.Integer(),
  status: Type.Union(['ok', 'alarm', 'offline', 'low_battery', 'unknown'].map((s) => Type.Literal(s))),
  online: Nullable(Type.Boolean()), lastSeen: Nullable(Type.Number()), battery: Nullable(Type.Number()),
  last: Nullable(Type.Object({ ts: Type.Number(), values: Values })),
});

export const ProvisionedDevice = Type.Object({
  id: Type.String(), kind: Kind, building: Type.String(), unit: Type.Optional(Type.String()), intervalS: Type.Integer(), valve: Type.Optional(Type.Boolean()),
});

export const AlertCaseT = Type.Object({
  id: Type.String(), device: Type.String(), rule: Type.String(), kind: Type.String(), severity: SeverityT,
  state: Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved'), Type.Literal('closed')]),
  title: Type.Object({ zh: Type.String(), en: Type.String() }),
  street: Type.String(), community: Type.String(), grid: Type.String(), building: Type.String(), unit: Type.Optional(Type.String()),
  openedAt: Type.Number(), updatedAt: Type.Number(), acknowledgedAt: Type.Optional(Type.Number()), acknowledgedBy: Type.Optional(Type.String()),
  resolvedAt: Type.Optional(Type.Number()), closedAt: Type.Optional(Type.Number()), assignee: Type.Optional(Type.String()),
  escalationStep: Type.Integer(), trigger: Type.Record(Type.String(), Type.Unknown()), closeNote: Type.Optional(Type.String()),
  reopenedAt: Type.Optional(Type.Number()), raisedAt: Type.Optional(Type.Number()), incident: Type.Optional(Type.String()), activeRules: Type.Optional(Type.Array(Type.String())),
  nextEscalation: Type.Optional(Type.Object({ step: Type.Integer(), to: Type.String(), at: Type.Number() })), escalationSteps: Type.Optional(Type.Integer()),
}, { $id: 'AlertCase' });

export const LedgerEntryT = Type.Object({
  seq: Type.Integer(), caseId: Type.String(), ts: Type.Number(), actor: Type.String(), action: Type.String(),
  note: Type.Optional(Type.String()), data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const SilenceT = Type.Object({
  id: Type.String(), createdAt: Type.Number(),
  scope: Type.Object({ device: Type.Optional(Type.String()), building: Type.Optional(Type.String()), grid: Type.Optional(Type.String()) }),
  from: Type.Number(), until: Type.Number(), author: Type.String(), reason: Type.Optional(Type.String()),
});

export const AuditEntryT = Type.Object({
  id: Type.Integer(), ts: Type.Number(), actor: Type.String(), action: Type.String(), target: Type.String(), details: Type.Record(Type.String(), Type.Unknown()),
});

export const Ok = Type.Object({ ok: Type.Boolean() });

/** the config's id rule for people and grids */
export const PersonId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
/** a person as shown by the API: never a password hash */
export const PersonT = Type.Object({
  id: Type.String(), name: Type.String(), role: Role, grids: Type.Array(Type.String()), phone: Type.Optional(Type.String()),
  contact: Type.Optional(Type.Record(Type.String(), Type.String())), lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')])),
});
