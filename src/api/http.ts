// The API's HTTP plumbing: one error body for everything ({code, message, details}), the bearer
// token check before every non-public route, time parsing, and the audit helper for mutations.
import AjvModule from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { GridwatchError, ValidationError, formatValue, isGridwatchError, type ErrorCode } from '../core/errors.js';
import type { ApiRuntime } from './runtime.js';
import type { Principal } from './scope.js';
import { bearerToken } from './sessions.js';
import { notFoundPage } from './static.js';

declare module 'fastify' {
  interface FastifyRequest { principal: Principal | null }
  interface FastifyContextConfig { public?: boolean }
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  GW_ERR_API_AUTH: 401, GW_ERR_API_FORBIDDEN: 403, GW_ERR_API_VALIDATION: 400, GW_ERR_API_NOT_FOUND: 404,
  GW_ERR_API_RATE: 429, GW_ERR_ALERT_TRANSITION: 409, GW_ERR_ALERT_STILL_ACTIVE: 409, GW_ERR_ALERT_NOT_FOUND: 404, GW_ERR_REPORT_RANGE: 400,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

interface AjvIssue { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }

function valueAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const part of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

/** A fastify/ajv validation failure as our ValidationError naming the field, the value and the rule. */
export function fromValidation(err: FastifyError, req: FastifyRequest): ValidationError {
  const issue = (err.validation?.[0] ?? { instancePath: '', keyword: 'schema', params: {} }) as AjvIssue;
  const where = err.validationContext ?? 'body';
  const source: unknown = where === 'body' ? req.body : where === 'querystring' ? req.query : where === 'params' ? req.params : req.headers;
  let pointer = issue.instancePath;
  if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') pointer += `/${issue.params.missingProperty}`;
  if (issue.keyword === 'additionalProperties' && typeof issue.params.additionalProperty === 'string') pointer += `/${issue.params.additionalProperty}`;
  const field = [where, ...pointer.split('/').slice(1)].join('.');
  const value = issue.keyword === 'required' ? undefined : valueAt(source, pointer);
  let rule = issue.message ?? issue.keyword;
  if (issue.keyword === 'enum' || issue.keyword === 'anyOf') rule = `${rule}${issue.params.allowedValues ? ` ${formatValue(issue.params.allowedValues)}` : ''}`;
  const e = new ValidationError('GW_ERR_API_VALIDATION', field, value, rule);
  Object.assign(e.details, { problems: (err.validation ?? []).map((v) => ({ path: v.instancePath, rule: v.message })) });
  return e;
}

// ajv is CommonJS; under NodeNext its default export sits one level down.
const Ajv = AjvModule.default ?? AjvModule;
const strictAjv = new Ajv({ allErrors: false, useDefaults: true, coerceTypes: false, strict: false });
/**
 * A route's `validatorCompiler` that refuses unknown properties (400 naming them) as the config
 * loader does; fastify's default ajv silently removes them, which can also strip fields inside a
 * union such as a rule's condition.
 */
export const strictValidator: FastifySchemaCompiler<unknown> = ({ schema }) => strictAjv.compile(schema as object);

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    let ge: GridwatchError;
    if (isGridwatchError(err)) ge = err;
    else if (err.validation) ge = fromValidation(err, req);
    else if (err.statusCode === 429) ge = new GridwatchError('GW_ERR_API_RATE', err.message || 'too many requests; wait and try again');
    else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      ge = new GridwatchError(err.statusCode === 404 ? 'GW_ERR_API_NOT_FOUND' : 'GW_ERR_API_VALIDATION', err.message, { details: { fastifyCode: err.code } });
    } else {
      req.log.error({ err }, 'api request failed');
      return reply.status(500).send(new GridwatchError('GW_ERR_API_INTERNAL', 'internal error; see the hub log').toJSON());
    }
    const status = err.statusCode === 429 ? 429 : statusOf(ge.code);
    return reply.status(status).send(ge.toJSON());
  });
  const notFound = (req: FastifyRequest, reply: FastifyReply): void => {
    // a person's browser asking for a page gets a page; programs (and /api) keep the JSON error
    const path = req.url.split('?')[0] ?? '';
    if (req.method === 'GET' && !path.startsWith('/api/') && (req.headers.accept ?? '').includes('text/html')) return void reply.status(404).type('text/html; charset=utf-8').send(notFoundPage(path));
    void reply.status(404).send(new GridwatchError('GW_ERR_API_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`, { details: { method: req.method } }).toJSON());
  };
  app.setNotFoundHandler(notFound);
  // The panel's static files are served with a root wildcard; this keeps /api/v1/<unknown> a JSON 404.
  app.all('/*', { config: { public: true }, schema: { hide: true } }, async (req, reply) => notFound(req, reply));
}

export function installAuth(app: FastifyInstance, rt: ApiRuntime): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config.public) return;
    req.principal = rt.sessions.authenticate(bearerToken(req.headers.authorization));
  });
}

export function who(req: FastifyRequest): Principal {
  if (!req.principal) throw new GridwatchError('GW_ERR_API_AUTH', 'not logged in');
  return req.principal;
}

/** Parses a query time: ms since epoch or ISO 8601. */
export function parseTime(field: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = /^[0-9]+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new ValidationError('GW_ERR_API_VALIDATION', field, v, 'must be ms since epoch or an ISO 8601 date-time');
  return n;
}

export function listParam<T extends string>(field: string, v: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (v === undefined || v === '') return undefined;
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const i of items) if (!allowed.includes(i as T)) throw new ValidationError('GW_ERR_API_VALIDATION', field, i, `must be one of ${allowed.join(', ')} (comma-separated)`);
  return items as T[];
}

export function audit(rt: ApiRuntime, req: FastifyRequest, at: number, action: string, target: string, details: Record<string, unknown> = {}): void {
  rt.db.audit({ ts: at, actor: req.principal?.id ?? 'anonymous', action, target, details: { ...details, ip: req.ip } });
}

export type { FastifyReply };
