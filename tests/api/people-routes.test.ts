// People over the REST API against a real hub (real influxd, better-sqlite3, fastify): admin only,
// schema and cross-check rejections, audit, a password shown once and stored only as a hash,
// disabling revokes sessions and refuses login, and alert routing sees people added over the API.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertCase } from '../../src/core/alert-types.js';
import { json, startApiHarness, waitFor, type ApiHarness } from './harness.js';

let h: ApiHarness;
let call: ApiHarness['call'];

beforeAll(async () => {
  h = await startApiHarness([{ id: 'gas-1', kind: 'gas', building: 'b2' }]);
  ({ call } = h);
});

afterAll(async () => {
  await h?.close();
});

interface Person { id: string; name: string; role: string; grids: string[]; phone?: string; lang?: string }
interface Err { code: string; message: string; details: { field?: string; value?: unknown } }

const login = (username: string, password: string) => call({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: `10.1.0.${username.length}`, payload: { username, password } });

describe('people over the API', () => {
  it('lists people for an admin without password hashes; other roles get 403', async () => {
    const r = await call({ method: 'GET', url: '/api/v1/people', as: 'root' });
    expect(r.status).toBe(200);
    expect(json<Person[]>(r.body).map((p) => p.id)).toEqual(['root', 'zhang', 'li', 'wang', 'zhao']);
    expect(JSON.stringify(r.body)).not.toMatch(/scrypt|passwordHash/);
    for (const as of ['zhang', 'li', 'wang']) expect((await call({ method: 'GET', url: '/api/v1/people', as })).status).toBe(403);
  });

  it('non-admins may not change people (403) and nothing changes', async () => {
    const tries = [
      { method: 'POST' as const, url: '/api/v1/people', payload: { id: 'x1', name: 'X', role: 'admin', grids: [] } },
      { method: 'PATCH' as const, url: '/api/v1/people/wang', payload: { role: 'admin' } },
      { method: 'POST' as const, url: '/api/v1/people/wang/reset-password' },
      { method: 'DELETE' as const, url: '/api/v1/people/wang' },
    ];
    for (const t of tries) {
      const r = await call({ ...t, as: 'li' });
      expect(r.status).toBe(403);
      expect(json<Err>(r.body).code).toBe('GW_ERR_API_FORBIDDEN');
    }
    expect(json<Person>((await call({ method: 'GET', url: '/api/v1/me', as: 'wang' })).body).role).toBe('grid_worker');
  });

  it('rejects bad bodies with 400 naming the field: schema, unknown grid, a worker without grids, a taken id', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ id: 'p1', name: 'P', role: 'chief', grids: [] }, 'body.role'],
      [{ id: 'p1', name: 'P', role: 'street' }, 'body.grids'],
      [{ id: 'p 1', name: 'P', role: 'street', grids: [] }, 'body.id'],
      [{ id: 'p1', name: 'P', role: 'street', grids: [], passwordHash: 'x' }, 'body.passwordHash'],
      [{ id: 'p1', name: 'P', role: 'grid_worker', grids: ['g9'] }, 'body.grids.0'],
      [{ id: 'p1', name: 'P', role: 'grid_leader', grids: [] }, 'body.grids'],
      [{ id: 'wang', name: 'P', role: 'street', grids: [] }, 'body.id'],
    ];
    for (const [payload, field] of cases) {
      const r = await call({ method: 'POST', url: '/api/v1/people', as: 'root', payload });
      expect(r.status, JSON.stringify(payload)).toBe(400);
      expect(json<Err>(r.body)).toMatchObject({ code: 'GW_ERR_API_VALIDATION', details: { field } });
    }
    const patch = await call({ method: 'PATCH', url: '/api/v1/people/wang', as: 'root', payload: { grids: [] } });
    expect(json<Err>(patch.body)).toMatchObject({ code: 'GW_ERR_API_VALIDATION', details: { field: 'body.grids' } });
    expect((await call({ method: 'PATCH', url: '/api/v1/people/ghost', as: 'root', payload: { name: 'G' } })).status).toBe(404);
  });

  it('adds a person: the password is shown once, works for login, is stored only as a hash and audit-logged', async () => {
    const r = await call({ method: 'POST', url: '/api/v1/people', as: 'root', payload: { id: 'sun', name: '孙网格员', role: 'grid_worker', grids: ['g2'], phone: '13800000000', lang: 'en' } });
    expect(r.status).toBe(201);
    const { person, password } = json<{ person: Person; password: string }>(r.body);
    expect(person).toEqual({ id: 'sun', name: '孙网格员', role: 'grid_worker', grids: ['g2'], phone: '13800000000', lang: 'en' });
    expect(password.length).toBeGreaterThanOrEqual(16);
    const list = await call({ method: 'GET', url: '/api/v1/people', as: 'root' });
    expect(JSON.stringify(list.body)).not.toContain(password);
    expect(json<Person[]>(list.body).find((p) => p.id === 'sun')).toEqual(person);
    const db = new Database(`${h.t.dataDir}/api.db`, { readonly: true });
    const row = db.prepare("SELECT config FROM people WHERE id = 'sun'").get() as { config: string };
    db.close();
    expect(row.config).not.toContain(password);
    expect(JSON.parse(row.config)).toMatchObject({ passwordHash: expect.stringMatching(/^scrypt\$/) as unknown });
    const li = await login('sun', password);
    expect(li.status).toBe(200);
    h.tokens.set('sun', json<{ token: string }>(li.body).token);
    expect(json<Person>((await call({ method: 'GET', url: '/api/v1/me', as: 'sun' })).body)).toMatchObject({ id: 'sun', grids: ['g2'], lang: 'en' });
    const audit = json<{ actor: string; action: string; target: string; details: Record<string, unknown> }[]>((await call({ method: 'GET', url: '/api/v1/audit?actor=root', as: 'root' })).body);
    expect(audit[0]).toMatchObject({ actor: 'root', action: 'person.add', target: 'person:sun' });
    expect(JSON.stringify(audit)).not.toContain(password);
  });

  it('alert routing sees a person added over the API (the merged people)', async () => {
    h.emitReading('gas-1', { lel: 30 });
    const c = await waitFor(async () => (await h.t.hub.ctx.alerts?.list({ state: ['open'] }))?.find((x: AlertCase) => x.device === 'gas-1' && x.rule === 'gas-critical'), 'gas-1 case');
    expect(c.grid).toBe('g2');
    // zhao (config) and sun (API) are the grid workers of g2; the case goes to them
    const detail = json<{ ledger: { action: string; data?: { recipients?: string[] } }[] }>((await call({ method: 'GET', url: `/api/v1/alerts/${c.id}`, as: 'root' })).body);
    expect(JSON.stringify(detail.ledger)).toContain('sun');
  });

  it('a grid change applies to the live session at once; a role change revokes it; both audit-logged', async () => {
    let r = await call({ method: 'PATCH', url: '/api/v1/people/sun', as: 'root', payload: { grids: ['g1', 'g2'], name: '孙组长' } });
    expect(r.status).toBe(200);
    expect(json<Person>((await call({ method: 'GET', url: '/api/v1/me', as: 'sun' })).body).grids).toEqual(['g1', 'g2']);
    r = await call({ method: 'PATCH', url: '/api/v1/people/sun', as: 'root', payload: { role: 'grid_leader' } });
    expect(r.status).toBe(200);
    expect(json<Person>(r.body)).toMatchObject({ id: 'sun', name: '孙组长', role: 'grid_leader', grids: ['g1', 'g2'] });
    expect(JSON.stringify(r.body)).not.toMatch(/scrypt/);
    const old = await call({ method: 'GET', url: '/api/v1/me', as: 'sun' });
    expect(old.status).toBe(401);
    expect(json<Err>(old.body).message).toMatch(/revoked/);
    const audit = json<{ action: string; target: string }[]>((await call({ method: 'GET', url: '/api/v1/audit?actor=root&limit=1', as: 'root' })).body);
    expect(audit[0]).toMatchObject({ action: 'person.update', target: 'person:sun' });
  });

  it('a password reset gives a new password once; the old password and every token issued before stop working', async () => {
    expect((await call({ method: 'GET', url: '/api/v1/me', as: 'wang' })).status).toBe(200);
    const r = await call({ method: 'POST', url: '/api/v1/people/wang/reset-password', as: 'root' });
    const { password } = json<{ password: string }>(r.body);
    const old = await call({ method: 'GET', url: '/api/v1/me', as: 'wang' });
    expect(old.status).toBe(401);
    expect(json<Err>(old.body).message).toMatch(/revoked/);
    expect((await login('wang', 'pw-wang-secret')).status).toBe(401);
    expect((await login('wang', password)).status).toBe(200);
    const audit = json<{ action: string; target: string }[]>((await call({ method: 'GET', url: '/api/v1/audit?actor=root&limit=1', as: 'root' })).body);
    expect(audit[0]).toMatchObject({ action: 'person.reset_password', target: 'person:wang' });
  });

  it('disabling revokes their sessions and refuses login; they vanish from GET /people', async () => {
    const pw = json<{ password: string }>((await call({ method: 'POST', url: '/api/v1/people/sun/reset-password', as: 'root' })).body).password;
    h.tokens.set('sun', json<{ token: string }>((await login('sun', pw)).body).token);
    expect((await call({ method: 'GET', url: '/api/v1/me', as: 'sun' })).status).toBe(200);
    const r = await call({ method: 'DELETE', url: '/api/v1/people/sun', as: 'root' });
    expect(r.status).toBe(200);
    const me = await call({ method: 'GET', url: '/api/v1/me', as: 'sun' });
    expect(me.status).toBe(401);
    expect(json<Err>(me.body).message).toMatch(/revoked/);
    const li = await login('sun', pw);
    expect(li.status).toBe(401);
    expect(json<Person[]>((await call({ method: 'GET', url: '/api/v1/people', as: 'root' })).body).map((p) => p.id)).not.toContain('sun');
    expect((await call({ method: 'DELETE', url: '/api/v1/people/sun', as: 'root' })).status).toBe(404);
    const audit = json<{ action: string; target: string }[]>((await call({ method: 'GET', url: '/api/v1/audit?actor=root&limit=1', as: 'root' })).body);
    expect(audit[0]).toMatchObject({ action: 'person.disable', target: 'person:sun' });
  });
});
