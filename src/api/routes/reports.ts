// GET /reports/uptime and /reports/noise: the reports stage's handlers behind the API's auth.
// A caller sees only the grids they may see (admins: all). Mount with the other route modules.
import type { FastifyInstance } from 'fastify';
import { registerReportRoutes } from '../../reports/routes.js';
import { who } from '../http.js';
import type { Api, RouteDeps } from './deps.js';

export async function reportRoutes(app: Api, { ctx }: RouteDeps): Promise<void> {
  registerReportRoutes(app as unknown as FastifyInstance, ctx, (req) => {
    const p = who(req);
    return p.role === 'admin' ? 'all' : p.grids;
  }, '');
}
