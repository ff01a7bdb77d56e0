// Alert cases: list (scoped to the person's grids), one case with its ledger, and the actions
// (ack, resolve, close with a note, reassign, comment, seen). Every action is audit-logged.
import { Type, type TSchema } from '@sinclair/typebox';
import type { AlertCase, AlertService } from '../../core/alert-types.js';
import { GridwatchError, ValidationError } from '../../core/errors.js';
import { audit, listParam, parseTime, who } from '../http.js';
import { errors, IdParam, LedgerEntryT, Ok, TimeQ } from '../schemas.js';
import { requireGrid, visibleGrids, type Principal } from '../scope.js';
import type { Api, RouteDeps } from './deps.js';

const STATES = ['open', 'acknowledged', 'resolved', 'closed'] as const;
const SEVERITIES = ['info', 'warning', 'critical'] as const;
const Note = Type.String({ maxLength: 2000 });

async function caseFor(alerts: AlertService, p: Principal, id: string, what: string): Promise<AlertCase> {
  const found = await alerts.get(id);
  if (!found) throw new GridwatchError('GW_ERR_API_NOT_FOUND', `no alert case '${id}'`, { details: { case: id } });
  requireGrid(p, found.case.grid, what);
  return found.case;
}

export async function alertRoutes(app: Api, { ctx, rt }: RouteDeps, alerts: AlertService): Promise<void> {
  app.get('/alerts', {
    schema: {
      tags: ['alerts'], summary: 'Alert cases, newest first, in the grids the person may see',
      querystring: Type.Object({
        state: Type.Optional(Type.String({ description: 'comma-separated: open,acknowledged,resolved,closed' })),
        severity: Type.Optional(Type.String({ description: 'comma-separated: info,warning,critical' })),
        grid: Type.Optional(Type.String()), device: Type.Optional(Type.String()),
        from: Type.Optional(TimeQ), to: Type.Optional(TimeQ), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
      }, { additionalProperties: false }),
      response: { 200: Type.Array(Type.Ref('AlertCase')), ...errors },
    },
  }, async (req) => {
    const p = who(req);
    const q = req.query;
    if (q.grid !== undefined) requireGrid(p, q.grid, 'see alerts');
    const list = await alerts.list({
      state: listParam('state', q.state, STATES), severity: listParam('severity', q.severity, SEVERITIES),
      grids: q.grid !== undefined ? [q.grid] : p.grids, device: q.device,
      from: parseTime('from', q.from), to: parseTime('to', q.to), limit: q.limit ?? 500,
    });
    return list.filter((c) => p.grids.includes(c.grid) || p.role === 'admin').sort((a, b) => b.openedAt - a.openedAt);
  });

  app.get('/alerts/:id', {
    schema: { tags: ['alerts'], summary: 'One case with its ledger', params: IdParam, response: { 200: Type.Object({ case: Type.Ref('AlertCase'), ledger: Type.Array(LedgerEntryT) }), ...errors } },
  }, async (req) => {
    await caseFor(alerts, who(req), req.params.id, 'see alerts');
    return await alerts.get(req.params.id) as NonNullable<Awaited<ReturnType<AlertService['get']>>>;
  });

  const action = (name: string, body: TSchema, run: (id: string, p: Principal, b: Record<string, string | undefined>) => Promise<AlertCase>) => {
    app.post(`/alerts/:id/${name}`, {
      schema: { tags: ['alerts'], summary: `${name} a case`, params: IdParam, body, response: { 200: Type.Ref('AlertCase'), ...errors } },
    }, async (req) => {
      const p = who(req);
      await caseFor(alerts, p, req.params.id, `${name} alerts`);
      const b = (req.body ?? {}) as Record<string, string | undefined>;
      const updated = await run(req.params.id, p, b);
      await audit(rt, req, ctx.clock.now(), `alert.${name}`, `alert:${req.params.id}`, b.note !== undefined || b.person !== undefined || b.override !== undefined ? { note: b.note, person: b.person, override: b.override } : {});
      return updated;
    });
  };
  const optNote = Type.Union([Type.Object({ note: Type.Optional(Note) }, { additionalProperties: false }), Type.Null()]);
  const needNote = Type.Object({ note: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S' }) }, { additionalProperties: false });
  // while the condition still holds, resolve/close answer 409 GW_ERR_ALERT_STILL_ACTIVE unless `override` gives a reason
  const Override = Type.Optional(Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'why the case is resolved/closed although its condition still holds' }));
  const resolveBody = Type.Union([Type.Object({ note: Type.Optional(Note), override: Override }, { additionalProperties: false }), Type.Null()]);
  const closeBody = Type.Object({ note: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S' }), override: Override }, { additionalProperties: false });
  action('ack', optNote, (id, p, b) => alerts.acknowledge(id, p.id, b.note));
  action('resolve', resolveBody, (id, p, b) => alerts.resolve(id, p.id, b.note, b.override));
  action('close', closeBody, (id, p, b) => alerts.close(id, p.id, b.note as string, b.override));
  action('comment', needNote, (id, p, b) => alerts.comment(id, p.id, b.note as string));
  action('reassign', Type.Object({ person: Type.String({ minLength: 1 }) }, { additionalProperties: false }), async (id, p, b) => {
    const person = rt.registry.people().find((x) => x.id === b.person);
    if (!person) throw new ValidationError('GW_ERR_API_VALIDATION', 'body.person', b.person, 'must be the id of an enabled person');
    const grid = ((await alerts.get(id)) as { case: AlertCase }).case.grid;
    if (!visibleGrids(person, ctx.site).includes(grid)) throw new ValidationError('GW_ERR_API_VALIDATION', 'body.person', b.person, `must be a person covering grid '${grid}'`);
    return alerts.reassign(id, p.id, person.id);
  });

  app.post('/alerts/:id/seen', {
    schema: { tags: ['alerts'], summary: 'Record that the person has seen the case', params: IdParam, response: { 200: Ok, ...errors } },
  }, async (req) => {
    const p = who(req);
    await caseFor(alerts, p, req.params.id, 'see alerts');
    await alerts.markSeen(req.params.id, p.id);
    await audit(rt, req, ctx.clock.now(), 'alert.seen', `alert:${req.params.id}`);
    return { ok: true };
  });
}
