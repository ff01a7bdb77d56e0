// The API's HTTP plumbing: one error body for everything ({code, message, details}), the bearer
// token check before every non-public route, time parsing, and the audit helper for mutations.
import AjvModule from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { GridwatchError, HTTP_STATUS, ValidationError, formatValue, isGridwatchError, type ErrorCode } from '../core/errors.js';
import type { ApiRuntime } from './runtime.js';
import type { Principal } from './scope.js';
import { bearerToken } from './sessions.js';
import { notFoundPage } from './static.js';

declare module 'fastify' {
  interface FastifyRequest { principal: Principal | null }
  interface FastifyContextConfig { public?: boolean }
}

/** The HTTP status of an error code: one table for every stage (core/errors.ts). */
export function statusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
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

/** Request bodies: at most this many bytes and this many levels of nested objects / arrays. */
export const MAX_JSON_BYTES = 256 * 1024;
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of objects and arrays in JSON text, read without parsing it (stops early past `stopAt`). */
export function jsonDepth(text: string, stopAt = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
      if (max > stopAt) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * JSON bodies are checked for size and depth before they are parsed: a deeply nested body would
 * otherwise overflow the stack in the parser's prototype-poisoning scan or in validation (a 500,
 * also on the public login route). Both limits answer 400 naming the rule.
 */
export function installJsonLimits(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_JSON_BYTES }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    const depth = jsonDepth(text, MAX_JSON_DEPTH);
    if (depth > MAX_JSON_DEPTH) {
      done(new ValidationError('GW_ERR_API_VALIDATION', 'body', `(nested more than ${MAX_JSON_DEPTH} levels)`, `must nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep`), undefined);
      return;
    }
    parseJson(req, text, done);
  });
}

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
    req.principal = await rt.sessions.authenticate(bearerToken(req.headers.authorization));
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

export async function audit(rt: ApiRuntime, req: FastifyRequest, at: number, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
  await rt.db.audit({ ts: at, actor: req.principal?.id ?? 'anonymous', action, target, details: { ...details, ip: req.ip } });
}

export type { FastifyReply };
