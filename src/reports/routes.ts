// The report routes, for the API to mount where its auth runs: `authHook` says which grids the
// caller may see (and throws GW_ERR_API_AUTH when there is no caller). Errors answer with the
// API's body `{code, message, details}` whether or not the API's error handler is installed.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_STATUS, isGridwatchError } from '../core/errors.js';
import { noiseReportHandler, uptimeReportHandler, type Access, type ReportDeps, type ReportResult } from './handlers.js';

export type AuthHook = (req: FastifyRequest) => Access | Promise<Access>;


function send<T>(reply: FastifyReply, r: ReportResult<T>, name: string): FastifyReply {
  if (r.format === 'json') return reply.send(r.body);
  if (r.format === 'csv') {
    void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`);
  } else {
    void reply.header('content-type', 'text/plain; charset=utf-8');
  }
  return reply.send(r.body);
}

function query(req: FastifyRequest): Record<string, unknown> {
  return typeof req.query === 'object' && req.query !== null ? (req.query as Record<string, unknown>) : {};
}

type Handler<T> = (deps: ReportDeps, q: Record<string, unknown>, access: Access) => Promise<ReportResult<T>>;

function route<T>(deps: ReportDeps, authHook: AuthHook, handler: Handler<T>, name: string) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      return send(reply, await handler(deps, query(req), await authHook(req)), name);
    } catch (e) {
      const status = isGridwatchError(e) ? HTTP_STATUS[e.code] : undefined;
      if (!isGridwatchError(e) || status === undefined) throw e;
      return reply.status(status).send(e.toJSON());
    }
  };
}

/** GET {prefix}/reports/uptime and GET {prefix}/reports/noise. Inside the API's /api/v1 plugin pass prefix ''. */
export function registerReportRoutes(app: FastifyInstance, deps: ReportDeps, authHook: AuthHook, prefix = '/api/v1'): void {
  app.get(`${prefix}/reports/uptime`, route(deps, authHook, uptimeReportHandler, 'uptime'));
  app.get(`${prefix}/reports/noise`, route(deps, authHook, noiseReportHandler, 'noise'));
}
