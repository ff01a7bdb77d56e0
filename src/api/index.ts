// The authenticated REST API under /api/v1: registers OpenAPI (/docs), the login rate limit, the
// auth hook, the error body and every route module on ctx.app before it listens.
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { GridwatchError } from '../core/errors.js';
import type { HubContext } from '../hub/context.js';
import { installAuth, installErrorHandling, installJsonLimits } from './http.js';
import type { StatusBoard } from '../live/status-board.js';
import { createApiRuntime, type ApiRuntime, type RuntimeOptions } from './runtime.js';
import { alertRoutes } from './routes/alerts.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import type { Api, RouteDeps } from './routes/deps.js';
import { deviceRoutes } from './routes/devices.js';
import { ledgerRoutes } from './routes/ledger.js';
import { peopleRoutes } from './routes/people.js';
import { readingRoutes } from './routes/readings.js';
import { reportRoutes } from './routes/reports.js';
import { ruleRoutes } from './routes/rules.js';
import { silenceRoutes } from './routes/silences.js';
import { siteRoutes } from './routes/sites.js';
import { AlertCaseT, ErrorBody } from './schemas.js';

export const API_PREFIX = '/api/v1';

export interface ApiOptions extends RuntimeOptions {
  /** the device status board GET /devices answers from (src/live attachStatusBoard) */
  board: StatusBoard;
  /** login attempts per address per window, failed or not: a flood guard only (default 300 per
   * minute, so one guesser cannot lock out everyone behind a NAT); guessing is stopped per person
   * and address by the login throttle (core/throttle.ts) */
  loginRateMax?: number;
  loginRateWindowMs?: number;
  /** serve OpenAPI JSON and the interactive docs at /docs (default true) */
  docs?: boolean;
  /** mount GET /api/v1/reports/{uptime,noise} from src/reports (default true; then call attachReports without authHook) */
  reports?: boolean;
  /** extra route modules mounted under /api/v1 (e.g. the reports) */
  extraRoutes?: ((app: Api, deps: RouteDeps) => Promise<void>)[];
}

export type { ApiRuntime };
export type { Api, RouteDeps };

export async function attachApi(ctx: HubContext, opts: ApiOptions): Promise<ApiRuntime> {
  const rt = createApiRuntime(ctx, opts.board, opts);
  const app: FastifyInstance = ctx.app;
  if (opts.docs !== false && !app.hasPlugin('@fastify/swagger')) {
    await app.register(swagger, {
      openapi: {
        info: { title: 'gridwatch API', version: '1', description: 'Authenticated REST API of the gridwatch hub. Log in at POST /api/v1/auth/login and send `Authorization: Bearer <token>`.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }
  if (!app.hasPlugin('@fastify/rate-limit')) {
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_req, c) => Object.assign(new GridwatchError('GW_ERR_API_RATE', `too many login attempts: at most ${c.max} per ${c.after}; try again later`, { details: { max: c.max, retryAfter: c.after } }), { statusCode: 429 }),
    });
  }
  const deps: RouteDeps = { ctx, rt, loginRateMax: opts.loginRateMax ?? 300, loginRateWindowMs: opts.loginRateWindowMs ?? 60_000 };
  await app.register(async (api) => {
    api.addSchema(ErrorBody);
    api.addSchema(AlertCaseT);
    installErrorHandling(api);
    installJsonLimits(api);
    installAuth(api, rt);
    const typed = api.withTypeProvider<TypeBoxTypeProvider>();
    await authRoutes(typed, deps);
    await siteRoutes(typed, deps);
    await deviceRoutes(typed, deps);
    await peopleRoutes(typed, deps);
    await ruleRoutes(typed, deps);
    await readingRoutes(typed, deps);
    await auditRoutes(typed, deps);
    if (ctx.alerts) {
      await alertRoutes(typed, deps, ctx.alerts);
      await ledgerRoutes(typed, deps, ctx.alerts);
      await silenceRoutes(typed, deps, ctx.alerts);
    } else {
      ctx.logger.warn('api: no alerting stage attached; /alerts and /silences are not served');
    }
    if (opts.reports !== false) {
      await reportRoutes(typed, deps);
    }
    for (const extra of opts.extraRoutes ?? []) await extra(typed, deps);
  }, { prefix: API_PREFIX });
  return rt;
}
