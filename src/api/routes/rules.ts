// Rules: GET /rules (defaults per kind + common, and the overrides in force), GET
// /devices/:id/rules (the effective rules of a device), PUT /rules/overrides/:id and DELETE
// /rules/overrides/:id?scope= (admin; persisted in api.db and applied to the running engine).
// Street and grid roles read the overrides that may apply to their grids.
import { Type } from '@sinclair/typebox';
import { RuleSpecSchema, type RuleSpec } from '../../core/rule-spec.js';
import { ValidationError } from '../../core/errors.js';
import type { SiteIndex } from '../../config/site.js';
import { COMMON_RULES, KINDS, KIND_NAMES } from '../../kinds/index.js';
import { effectiveRules } from '../../rules/resolve.js';
import { audit, strictValidator, who } from '../http.js';
import { deviceNotFound as notFound, parseScopeKey, scopeKey } from '../../registry/index.js';
import { errors, IdParam } from '../schemas.js';
import { canSeeGrid, requireGrid, requireRole, type Principal } from '../scope.js';
import type { Api, RouteDeps } from './deps.js';

const ADMIN = ['admin'] as const;
const RuleId = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' });
const OverrideT = Type.Object({ rule: RuleSpecSchema, source: Type.Union([Type.Literal('config'), Type.Literal('api')]), scopeKey: Type.String() });

/** Whether a rule's scope may touch one of the person's grids (global and community scopes included). */
function appliesToPerson(rule: RuleSpec, p: Principal, site: SiteIndex): boolean {
  if (p.role === 'admin') return true;
  const s = rule.scope ?? {};
  const grid = s.device !== undefined ? site.devices.get(s.device)?.grid : s.building !== undefined ? site.buildings.get(s.building)?.grid : s.grid;
  if (grid !== undefined) return canSeeGrid(p, grid);
  if (s.community !== undefined) return p.grids.some((g) => site.grids.get(g)?.community === s.community);
  return s.device === undefined && s.building === undefined; // global
}

export async function ruleRoutes(app: Api, { ctx, rt }: RouteDeps): Promise<void> {
  app.get('/rules', {
    schema: {
      tags: ['rules'], summary: 'Default rules per kind and common to all, and the overrides in force (config + API)',
      response: { 200: Type.Object({ defaults: Type.Record(Type.String(), Type.Array(RuleSpecSchema)), common: Type.Array(RuleSpecSchema), overrides: Type.Array(OverrideT) }), ...errors },
    },
  }, async (req) => {
    const p = who(req);
    const defaults: Record<string, RuleSpec[]> = {};
    for (const k of KIND_NAMES) defaults[k] = [...KINDS[k].defaultRules];
    return { defaults, common: [...COMMON_RULES], overrides: rt.registry.ruleOverrides().filter((o) => appliesToPerson(o.rule, p, ctx.site)) };
  });

  app.get('/devices/:id/rules', {
    schema: { tags: ['rules'], summary: 'The effective rules of a device (defaults with the overrides applied)', params: IdParam, response: { 200: Type.Array(RuleSpecSchema), ...errors } },
  }, async (req) => {
    const d = ctx.site.devices.get(req.params.id);
    if (!d) throw notFound(req.params.id);
    requireGrid(who(req), d.grid, 'see device rules');
    return effectiveRules(d, rt.registry.rules());
  });

  app.put('/rules/overrides/:id', {
    schema: {
      tags: ['rules'], summary: 'Add or replace a rule override (admin), keyed by id + scope; applies to the running engine at once',
      params: Type.Object({ id: RuleId }), body: RuleSpecSchema, response: { 200: OverrideT, ...errors },
    },
    validatorCompiler: strictValidator, // rule bodies are checked as the config loader checks `rules`
  }, async (req) => {
    requireRole(who(req), ADMIN, 'change rules');
    if (req.body.id !== req.params.id) throw new ValidationError('GW_ERR_API_VALIDATION', 'body.id', req.body.id, `must equal the id in the path (${req.params.id})`);
    const at = ctx.clock.now();
    const view = await rt.registry.putRule(req.body);
    await audit(rt, req, at, 'rule.put', `rule:${req.params.id}`, { scope: view.scopeKey, rule: req.body });
    return view;
  });

  app.delete('/rules/overrides/:id', {
    schema: {
      tags: ['rules'], summary: 'Remove a rule override (admin); `scope` as `grid:g1` or `grid:g1,building:b2`, omitted for global',
      params: Type.Object({ id: RuleId }), querystring: Type.Object({ scope: Type.Optional(Type.String({ maxLength: 300 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ ok: Type.Boolean(), removed: RuleSpecSchema }), ...errors },
    },
  }, async (req) => {
    requireRole(who(req), ADMIN, 'change rules');
    const scope = parseScopeKey(req.query.scope);
    const at = ctx.clock.now();
    const removed = await rt.registry.removeRule(req.params.id, scope);
    await audit(rt, req, at, 'rule.delete', `rule:${req.params.id}`, { scope: scopeKey(scope) });
    return { ok: true, removed };
  });
}
