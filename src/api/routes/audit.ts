// GET /audit (admin): who changed what, newest first.
import { Type } from '@sinclair/typebox';
import { parseTime, who } from '../http.js';
import { AuditEntryT, errors, TimeQ } from '../schemas.js';
import { requireRole } from '../scope.js';
import type { Api, RouteDeps } from './deps.js';

export async function auditRoutes(app: Api, { rt }: RouteDeps): Promise<void> {
  app.get('/audit', {
    schema: {
      tags: ['audit'], summary: 'The audit log (admin)',
      querystring: Type.Object({ from: Type.Optional(TimeQ), to: Type.Optional(TimeQ), actor: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })) }, { additionalProperties: false }),
      response: { 200: Type.Array(AuditEntryT), ...errors },
    },
  }, async (req) => {
    requireRole(who(req), ['admin'], 'read the audit log');
    return await rt.db.listAudit({ from: parseTime('from', req.query.from), to: parseTime('to', req.query.to), actor: req.query.actor, limit: req.query.limit });
  });
}
