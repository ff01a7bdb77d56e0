// Silences (planned quiet periods) for a device, building or grid the person may act on.
// A silence with no scope at all mutes everything and is refused.
import { Type } from '@sinclair/typebox';
import type { AlertService, Silence } from '../../core/alert-types.js';
import { GridwatchError, ValidationError } from '../../core/errors.js';
import { audit, who } from '../http.js';
import { errors, IdParam, Ok, SilenceT } from '../schemas.js';
import { gridOfScope, requireGrid, type Principal } from '../scope.js';
import type { Api, RouteDeps } from './deps.js';

const When = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ format: 'date-time' })]);
const toMs = (field: string, v: number | string): number => {
  const n = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(n)) throw new ValidationError('GW_ERR_API_VALIDATION', field, v, 'must be ms since epoch or an ISO 8601 date-time');
  return n;
};

export async function silenceRoutes(app: Api, { ctx, rt }: RouteDeps, alerts: AlertService): Promise<void> {
  const visible = (p: Principal, s: Silence): boolean => {
    const g = gridOfScope(ctx.site, s.scope);
    return p.role === 'admin' || (g !== undefined && p.grids.includes(g));
  };

  app.get('/silences', {
    schema: { tags: ['silences'], summary: 'Silences in the grids the person may see', response: { 200: Type.Array(SilenceT), ...errors } },
  }, async (req) => {
    const p = who(req);
    return (await alerts.listSilences()).filter((s) => visible(p, s));
  });

  app.post('/silences', {
    schema: {
      tags: ['silences'], summary: 'Silence a device, building or grid for a period',
      body: Type.Object({
        scope: Type.Object({ device: Type.Optional(Type.String()), building: Type.Optional(Type.String()), grid: Type.Optional(Type.String()) }, { additionalProperties: false, minProperties: 1 }),
        from: When, until: When, reason: Type.Optional(Type.String({ maxLength: 500 })),
      }, { additionalProperties: false }),
      response: { 201: SilenceT, ...errors },
    },
  }, async (req, reply) => {
    const p = who(req);
    const { scope, reason } = req.body;
    const grid = gridOfScope(ctx.site, scope);
    const field = scope.device !== undefined ? 'device' : scope.building !== undefined ? 'building' : 'grid';
    if (grid === undefined) throw new ValidationError('GW_ERR_API_VALIDATION', `body.scope.${field}`, scope[field], `must name a known ${field}`);
    requireGrid(p, grid, 'add silences');
    const from = toMs('body.from', req.body.from);
    const until = toMs('body.until', req.body.until);
    if (until <= from) throw new ValidationError('GW_ERR_API_VALIDATION', 'body.until', req.body.until, 'must be after body.from');
    const s = await alerts.addSilence({ scope, from, until, author: p.id, ...(reason !== undefined ? { reason } : {}) });
    await audit(rt, req, ctx.clock.now(), 'silence.add', `silence:${s.id}`, { scope, from, until });
    return reply.status(201).send(s);
  });

  app.delete('/silences/:id', {
    schema: { tags: ['silences'], summary: 'Remove a silence', params: IdParam, response: { 200: Ok, ...errors } },
  }, async (req) => {
    const p = who(req);
    const s = (await alerts.listSilences()).find((x) => x.id === req.params.id);
    if (!s) throw new GridwatchError('GW_ERR_API_NOT_FOUND', `no silence '${req.params.id}'`, { details: { silence: req.params.id } });
    const g = gridOfScope(ctx.site, s.scope);
    if (g === undefined) { if (p.role !== 'admin') requireGrid(p, '(none)', 'remove silences'); } else requireGrid(p, g, 'remove silences');
    await alerts.removeSilence(s.id, p.id);
    await audit(rt, req, ctx.clock.now(), 'silence.remove', `silence:${s.id}`);
    return { ok: true };
  });
}
