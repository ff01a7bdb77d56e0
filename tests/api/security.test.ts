// The hub's HTTP edge against a real hub: JSON bodies too deep or too large answer 400 (also on the
// public login route), failed logins are throttled per person + address without locking out a
// colleague behind the same address, /metrics needs its token and names no device, the panel's
// security headers, owner-only data files, and no query text in a query error.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGridwatchError } from '../../src/core/errors.js';
import { querySeries } from '../../src/reports/influx-query.js';
import { until } from '../helpers/hub.js';
import { json, startApiHarness, type ApiHarness } from './harness.js';
import { password } from './people.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness([{ id: 'gas-1', kind: 'gas' }], { metrics: { token: METRICS_TOKEN } });
}, 120_000);

afterAll(async () => {
  await h?.close();
}, 60_000);

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const raw = (url: string, body: string, headers: Record<string, string> = {}) =>
  h.t.hub.ctx.app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/json', ...headers } });

describe('JSON body limits', () => {
  it('a deeply nested body answers 400 naming the rule, on the public login route and behind auth', async () => {
    const login = await raw('/api/v1/auth/login', `{"username":"root","password":${nested(100_000)}}`);
    expect(login.statusCode).toBe(400);
    expect(JSON.parse(login.body)).toMatchObject({ code: 'GW_ERR_API_VALIDATION', details: { field: 'body' } });
    expect(login.body).toMatch(/at most 32 levels/);
    const put = await raw('/api/v1/rules/overrides/gas-critical', nested(50), { authorization: `Bearer ${h.tokens.get('root') ?? ''}` });
    expect(put.statusCode).toBe(400);
  });

  it('nesting within the limit still parses (strings with brackets do not count)', async () => {
    const r = await raw('/api/v1/auth/login', JSON.stringify({ username: 'li', password: `[[[[{{{{${'['.repeat(100)}` }));
    expect(r.statusCode).toBe(401);
  });

  it('a body over the size limit answers 400, not 500', async () => {
    const r = await raw('/api/v1/auth/login', JSON.stringify({ username: 'root', password: 'x'.repeat(300 * 1024) }));
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'GW_ERR_API_VALIDATION' });
  });
});

describe('login throttling', () => {
  const login = (username: string, pw: string, ip: string) => h.call({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: { username, password: pw } });

  it('a guesser is refused (429, Retry-After) after a few failures; a colleague behind the same address is not', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await login('wang', `guess-${i}`, '10.9.9.9')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const refused = await h.t.hub.ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.9.9.9', payload: { username: 'wang', password: password('wang') } });
    expect(refused.statusCode).toBe(429); // even the right password: the pair waits
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'GW_ERR_API_RATE' });
    expect((await login('li', password('li'), '10.9.9.9')).status).toBe(200); // same NAT, another person
    expect((await login('wang', password('wang'), '10.8.8.8')).status).toBe(200); // the real wang elsewhere
  });
});

describe('/metrics', () => {
  it('needs the bearer token when one is configured', async () => {
    expect((await h.t.hub.ctx.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await h.t.hub.ctx.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
    expect((await h.t.hub.ctx.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).statusCode).toBe(200);
  });

  it('names no device by default, even after a device had a message rejected', async () => {
    const c = await h.t.connect('gas-1');
    await c.publishAsync('gridwatch/v1/gas-1/reading', JSON.stringify({ lel: 'much' }), { qos: 1 });
    const text = await until(async () => {
      const r = await h.t.hub.ctx.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      return /gridwatch_ingest_rejected_total\{[^}]*\} [1-9]/.test(r.body) ? r.body : undefined;
    }, 10_000, 'a rejection counted');
    expect(text).not.toContain('gas-1');
    c.end(true);
  });
});

describe('panel and files', () => {
  it('responses carry nosniff and no framing; the panel a Content Security Policy', async () => {
    const r = await h.t.hub.ctx.app.inject({ method: 'GET', url: '/' });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    if (r.statusCode === 200) expect(String(r.headers['content-security-policy'])).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
    const api = await h.call({ method: 'GET', url: '/api/v1/me', as: 'root' });
    expect(api.status).toBe(200);
    expect((await h.t.hub.ctx.app.inject({ method: 'GET', url: '/healthz' })).headers['x-content-type-options']).toBe('nosniff');
  });

  it('api.db, alerts.db and outages.db are owner-only (0600)', () => {
    for (const f of ['api.db', 'alerts.db', 'outages.db']) expect(statSync(join(h.t.dataDir, f)).mode & 0o777, f).toBe(0o600);
  });

  it('a failed query names the problem but carries no query text', async () => {
    const ctx = h.t.hub.ctx;
    const err = await querySeries(ctx.store.influx, ctx.store.database, 'SELECT secret_field FROM "gas" WHERE device = \'gas-1\' GROUP BY').then(() => undefined, (e: unknown) => e);
    expect(isGridwatchError(err)).toBe(true);
    expect(JSON.stringify(json(isGridwatchError(err) ? err.toJSON() : {}))).not.toContain('secret_field');
  });
});
