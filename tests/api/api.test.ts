// The REST API against a real hub (real influxd, broker, alerting stage, better-sqlite3), through
// fastify's inject: auth, grid scoping, schema rejections, audit, rate limit, revocation, expiry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertCase } from '../../src/core/alert-types.js';
import { readingPoint } from '../../src/store/points.js';
import type { TestHub } from '../helpers/hub.js';
import { json, startApiHarness, waitFor, type ApiHarness } from './harness.js';
import { password } from './people.js';

let h: ApiHarness;
let t: TestHub;
let call: ApiHarness['call'];
let emitReading: ApiHarness['emitReading'];
let clock: ApiHarness['clock'];
let tokens: ApiHarness['tokens'];

beforeAll(async () => {
  h = await startApiHarness([{ id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas', building: 'b2' }, { id: 'noise-1', kind: 'noise' }]);
  ({ t, call, emitReading, clock, tokens } = h);
});

afterAll(async () => {
  await h?.close();
});

describe('login and identity', () => {
  it('returns the user with the grids their role resolves to', async () => {
    const r = await call({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.0.1', payload: { username: 'wang', password: password('wang') } });
    const body = json<{ token: string; expiresAt: number; user: Record<string, unknown> }>(r.body);
    expect(body.user).toEqual({ id: 'wang', name: '王网格员', role: 'grid_worker', grids: ['g1'], lang: 'en' });
    expect(body.expiresAt).toBe(clock.now() + 12 * 3600_000);
    const me = await call({ method: 'GET', url: '/api/v1/me', as: 'zhang' });
    expect(json<{ grids: string[] }>(me.body).grids).toEqual(['g1', 'g2']);
  });

  it('refuses a wrong password, an unknown person and a missing token with 401', async () => {
    for (const payload of [{ username: 'wang', password: 'nope' }, { username: 'ghost', password: 'x' }]) {
      const r = await call({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.0.2', payload });
      expect(r.status).toBe(401);
      expect(json<{ code: string; message: string }>(r.body)).toMatchObject({ code: 'GW_ERR_API_AUTH', message: 'username or password is wrong' });
    }
    const none = await call({ method: 'GET', url: '/api/v1/devices' });
    expect(none.status).toBe(401);
    expect(json<{ message: string }>(none.body).message).toMatch(/Authorization: Bearer/);
    const bad = await call({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Bearer forged' } });
    expect(bad.status).toBe(401);
  });

  it('rejects a login body that breaks the schema, naming the field', async () => {
    const r = await call({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.0.3', payload: { username: 'wang' } });
    expect(r.status).toBe(400);
    expect(json<{ code: string; details: { field: string } }>(r.body)).toMatchObject({ code: 'GW_ERR_API_VALIDATION', details: { field: 'body.password' } });
  });

  it('the token is stored only as a hash', async () => {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(`${t.dataDir}/api.db`, { readonly: true });
    const rows = db.prepare('SELECT token_hash FROM sessions').all() as { token_hash: string }[];
    db.close();
    expect(rows.length).toBeGreaterThan(0);
    for (const tok of tokens.values()) expect(rows.map((r) => r.token_hash)).not.toContain(tok);
  });
});

describe('sites and devices are scoped to the person\'s grids', () => {
  it('a grid worker sees only their grid in the site tree', async () => {
    const w = json<{ communities: { grids: { id: string }[] }[] }[]>((await call({ method: 'GET', url: '/api/v1/sites', as: 'wang' })).body);
    expect(w.flatMap((s) => s.communities.flatMap((c) => c.grids.map((g) => g.id)))).toEqual(['g1']);
    const a = json<{ communities: { grids: { id: string }[] }[] }[]>((await call({ method: 'GET', url: '/api/v1/sites', as: 'root' })).body);
    expect(a.flatMap((s) => s.communities.flatMap((c) => c.grids.map((g) => g.id)))).toEqual(['g1', 'g2']);
  });

  it('lists only visible devices; another grid is 403; a bad kind is 400', async () => {
    const w = await call({ method: 'GET', url: '/api/v1/devices', as: 'wang' });
    expect(json<{ id: string; status: string }[]>(w.body).map((d) => d.id)).toEqual(['gas-1', 'noise-1']);
    expect(json<{ status: string }[]>(w.body)[0]?.status).toBe('unknown');
    const z = await call({ method: 'GET', url: '/api/v1/devices', as: 'zhao' });
    expect(json<{ id: string }[]>(z.body).map((d) => d.id)).toEqual(['gas-2']);
    const other = await call({ method: 'GET', url: '/api/v1/devices?grid=g2', as: 'wang' });
    expect(other.status).toBe(403);
    expect(json<{ code: string }>(other.body).code).toBe('GW_ERR_API_FORBIDDEN');
    expect((await call({ method: 'GET', url: '/api/v1/devices/gas-2', as: 'wang' })).status).toBe(403);
    const bad = await call({ method: 'GET', url: '/api/v1/devices?kind=fire', as: 'wang' });
    expect(bad.status).toBe(400);
    expect(json<{ details: { field: string } }>(bad.body).details.field).toBe('querystring.kind');
  });

  it('device status follows readings: battery below 20 is low_battery', async () => {
    emitReading('noise-1', { laeq: 50 });
    emitReading('noise-1', { laeq: 51 }, { battery: 15 });
    const d = json<{ status: string; battery: number; online: boolean; last: { values: { laeq: number } } }>((await call({ method: 'GET', url: '/api/v1/devices/noise-1', as: 'wang' })).body);
    expect(d).toMatchObject({ status: 'low_battery', battery: 15, online: true, last: { values: { laeq: 51 } } });
  });
});

describe('device provisioning (admin)', () => {
  it('only an admin may register; the secret works once on the broker; it is audit-logged', async () => {
    const payload = { id: 'water-9', kind: 'water', building: 'b2', unit: '2单元', intervalS: 120 };
    expect((await call({ method: 'POST', url: '/api/v1/devices', as: 'zhao', payload })).status).toBe(403);
    const r = await call({ method: 'POST', url: '/api/v1/devices', as: 'root', payload });
    expect(r.status).toBe(201);
    const { device, secret } = json<{ device: Record<string, unknown>; secret: string }>(r.body);
    expect(device).toEqual(payload);
    const client = await t.connect('water-9', { password: secret });
    client.end(true);
    const z = await call({ method: 'GET', url: '/api/v1/devices', as: 'zhao' });
    expect(json<{ id: string }[]>(z.body).map((d) => d.id)).toContain('water-9');
    const audit = json<{ actor: string; action: string; target: string }[]>((await call({ method: 'GET', url: '/api/v1/audit', as: 'root' })).body);
    expect(audit[0]).toMatchObject({ actor: 'root', action: 'device.add', target: 'device:water-9' });
  });

  it('rejects a duplicate id, a bad id and an unknown building with the field named', async () => {
    const dup = await call({ method: 'POST', url: '/api/v1/devices', as: 'root', payload: { id: 'gas-1', kind: 'gas', building: 'b1' } });
    expect(dup.status).toBe(400);
    expect(json<{ details: { field: string } }>(dup.body).details.field).toBe('id');
    const badId = await call({ method: 'POST', url: '/api/v1/devices', as: 'root', payload: { id: '-bad id', kind: 'gas', building: 'b1' } });
    expect(badId.status).toBe(400);
    expect(json<{ details: { field: string; value: string } }>(badId.body).details).toMatchObject({ field: 'body.id', value: '-bad id' });
    const nob = await call({ method: 'POST', url: '/api/v1/devices', as: 'root', payload: { id: 'x1', kind: 'gas', building: 'nowhere' } });
    expect(json<{ details: { field: string } }>(nob.body).details.field).toBe('building');
  });

  it('rotating a secret locks out the old one; decommissioning removes the device', async () => {
    expect((await call({ method: 'POST', url: '/api/v1/devices/water-9/rotate-secret', as: 'wang' })).status).toBe(403);
    const r = await call({ method: 'POST', url: '/api/v1/devices/water-9/rotate-secret', as: 'root' });
    const { secret } = json<{ secret: string }>(r.body);
    await expect(t.connect('water-9', { password: 'wrong' })).rejects.toThrow();
    (await t.connect('water-9', { password: secret })).end(true);
    expect((await call({ method: 'DELETE', url: '/api/v1/devices/water-9', as: 'root' })).status).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/devices/water-9', as: 'root' })).status).toBe(404);
    const actions = json<{ action: string }[]>((await call({ method: 'GET', url: '/api/v1/audit?actor=root', as: 'root' })).body).map((a) => a.action);
    expect(actions.slice(0, 2)).toEqual(['device.decommission', 'device.rotate_secret']);
  });
});

describe('alert cases', () => {
  let g1: AlertCase;
  let g2: AlertCase;
  beforeAll(async () => {
    emitReading('gas-1', { lel: 30 });
    emitReading('gas-2', { lel: 30 });
    const all = async (): Promise<AlertCase[]> => (await t.hub.ctx.alerts?.list({ state: ['open'] })) ?? [];
    g1 = await waitFor(async () => (await all()).find((c) => c.device === 'gas-1'), 'gas-1 case');
    g2 = await waitFor(async () => (await all()).find((c) => c.device === 'gas-2'), 'gas-2 case');
  });

  it('lists only cases in the person\'s grids; another grid\'s case is 403', async () => {
    const w = json<AlertCase[]>((await call({ method: 'GET', url: '/api/v1/alerts?state=open,acknowledged', as: 'wang' })).body);
    expect(w.map((c) => c.id)).toContain(g1.id);
    expect(w.map((c) => c.grid)).not.toContain('g2');
    expect((await call({ method: 'GET', url: `/api/v1/alerts/${g2.id}`, as: 'wang' })).status).toBe(403);
    expect((await call({ method: 'POST', url: `/api/v1/alerts/${g2.id}/ack`, as: 'wang', payload: {} })).status).toBe(403);
    expect((await call({ method: 'POST', url: `/api/v1/alerts/${g1.id}/seen`, as: 'wang' })).status).toBe(200);
    const detail = json<{ case: AlertCase; ledger: { action: string; actor: string }[] }>((await call({ method: 'GET', url: `/api/v1/alerts/${g1.id}`, as: 'wang' })).body);
    expect(detail.ledger[0]?.action).toBe('opened');
    expect(detail.ledger.some((e) => e.action === 'seen' && e.actor === 'wang')).toBe(true);
    const bad = await call({ method: 'GET', url: '/api/v1/alerts?state=burning', as: 'wang' });
    expect(json<{ details: { field: string; value: string } }>(bad.body).details).toMatchObject({ field: 'state', value: 'burning' });
  });

  it('the device shows status alarm while its case is open', async () => {
    const d = json<{ status: string }>((await call({ method: 'GET', url: '/api/v1/devices/gas-1', as: 'wang' })).body);
    expect(d.status).toBe('alarm');
  });

  it('ack, then a second ack is 409; close needs a note; reassign needs a person covering the grid, from the config or added over the API', async () => {
    const ack = await call({ method: 'POST', url: `/api/v1/alerts/${g1.id}/ack`, as: 'wang', payload: { note: '到场' } });
    expect(ack.status).toBe(200);
    expect(json<AlertCase>(ack.body)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'wang' });
    const again = await call({ method: 'POST', url: `/api/v1/alerts/${g1.id}/ack`, as: 'wang', payload: {} });
    expect(again.status).toBe(409);
    expect(json<{ code: string }>(again.body).code).toBe('GW_ERR_ALERT_TRANSITION');
    const noNote = await call({ method: 'POST', url: `/api/v1/alerts/${g1.id}/close`, as: 'wang', payload: { note: '' } });
    expect(noNote.status).toBe(400);
    expect(json<{ details: { field: string } }>(noNote.body).details.field).toBe('body.note');
    const far = await call({ method: 'POST', url: `/api/v1/alerts/${g1.id}/reassign`, as: 'wang', payload: { person: 'zhao' } });
    expect(far.status).toBe(400);
    const added = await call({ method: 'POST', url: '/api/v1/people', as: 'root', payload: { id: 'zhou', name: '周敏', role: 'grid_worker', grids: ['g1'] } });
    expect(added.status).toBe(201);
    const toAdded = await call({ method: 'POST', url: `/api/v1/alerts/${g1.id}/reassign`, as: 'wang', payload: { person: 'zhou' } });
    expect(toAdded.status).toBe(200);
    expect(json<AlertCase>(toAdded.body).assignee).toBe('zhou');
    const re = await call({ method: 'POST', url: `/api/v1/alerts/${g1.id}/reassign`, as: 'wang', payload: { person: 'li' } });
    expect(json<AlertCase>(re.body).assignee).toBe('li');
    // the gas still reads above the clear level: resolving needs an override with a reason
    const held = await call({ method: 'POST', url: `/api/v1/alerts/${g1.id}/resolve`, as: 'li' }); // no body at all
    expect(held.status).toBe(409);
    expect(json<{ code: string }>(held.body).code).toBe('GW_ERR_ALERT_STILL_ACTIVE');
    expect((await call({ method: 'POST', url: `/api/v1/alerts/${g1.id}/resolve`, as: 'li', payload: { override: '传感器故障，已现场确认无泄漏' } })).status).toBe(200);
    const closed = await call({ method: 'POST', url: `/api/v1/alerts/${g1.id}/close`, as: 'li', payload: { note: '阀门松动，已紧固', override: '传感器故障，已现场确认无泄漏' } });
    expect(json<AlertCase>(closed.body)).toMatchObject({ state: 'closed', closeNote: '阀门松动，已紧固' });
    const audit = json<{ actor: string; action: string; target: string }[]>((await call({ method: 'GET', url: '/api/v1/audit', as: 'root' })).body);
    expect(audit.filter((a) => a.target === `alert:${g1.id}`).map((a) => `${a.actor}:${a.action}`)).toEqual(['li:alert.close', 'li:alert.resolve', 'wang:alert.reassign', 'wang:alert.reassign', 'wang:alert.ack', 'wang:alert.seen']);
  });

  it('silences: scoped to the person\'s grids', async () => {
    const when = { from: clock.now(), until: clock.now() + 3600_000 };
    expect((await call({ method: 'POST', url: '/api/v1/silences', as: 'wang', payload: { scope: { grid: 'g2' }, ...when } })).status).toBe(403);
    expect((await call({ method: 'POST', url: '/api/v1/silences', as: 'wang', payload: { scope: {}, ...when } })).status).toBe(400);
    const backwards = await call({ method: 'POST', url: '/api/v1/silences', as: 'wang', payload: { scope: { device: 'gas-1' }, from: when.until, until: when.from } });
    expect(json<{ details: { field: string } }>(backwards.body).details.field).toBe('body.until');
    const r = await call({ method: 'POST', url: '/api/v1/silences', as: 'wang', payload: { scope: { device: 'gas-1' }, ...when, reason: '检修' } });
    expect(r.status).toBe(201);
    const s = json<{ id: string; author: string }>(r.body);
    expect(s.author).toBe('wang');
    expect(json<{ id: string }[]>((await call({ method: 'GET', url: '/api/v1/silences', as: 'zhao' })).body).map((x) => x.id)).not.toContain(s.id);
    expect(json<{ id: string }[]>((await call({ method: 'GET', url: '/api/v1/silences', as: 'li' })).body).map((x) => x.id)).toContain(s.id);
    expect((await call({ method: 'DELETE', url: `/api/v1/silences/${s.id}`, as: 'zhao' })).status).toBe(403);
    expect((await call({ method: 'DELETE', url: `/api/v1/silences/${s.id}`, as: 'wang' })).status).toBe(200);
  });
});

describe('readings from InfluxDB', () => {
  it('aggregates per bucket: energy mean of LAeq, max of Lmax', async () => {
    const d = t.hub.ctx.site.devices.get('noise-1')!;
    const base = Math.floor(clock.now() / 3600_000) * 3600_000 - 3 * 3600_000;
    await t.hub.ctx.store.writer.write([
      readingPoint({ device: 'noise-1', kind: 'noise', ts: base + 60_000, values: { laeq: 50, lmax: 60 } }, d),
      readingPoint({ device: 'noise-1', kind: 'noise', ts: base + 120_000, values: { laeq: 60, lmax: 75 } }, d),
      readingPoint({ device: 'noise-1', kind: 'noise', ts: base + 3600_000 + 60_000, values: { laeq: 40, lmax: 45 } }, d),
    ]);
    const url = `/api/v1/readings?device=noise-1&from=${base}&to=${base + 2 * 3600_000}&every=1h`;
    let got: Record<string, number>[] = [];
    for (let i = 0; i < 100 && got.length < 2; i++) {
      const r = await call({ method: 'GET', url, as: 'wang' });
      expect(r.status).toBe(200);
      got = json<Record<string, number>[]>(r.body);
      if (got.length < 2) await new Promise((res) => setTimeout(res, 50));
    }
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ time: base, device: 'noise-1', lmax: 75 });
    expect(got[0]?.laeq).toBeCloseTo(10 * Math.log10((10 ** 5 + 10 ** 6) / 2), 6);
    expect(got[1]).toMatchObject({ time: base + 3600_000, laeq: 40, lmax: 45 });
  });

  it('another grid\'s device is 403; neither device nor building is 400; a bad every is 400', async () => {
    expect((await call({ method: 'GET', url: '/api/v1/readings?device=gas-2', as: 'wang' })).status).toBe(403);
    expect((await call({ method: 'GET', url: '/api/v1/readings', as: 'wang' })).status).toBe(400);
    const bad = await call({ method: 'GET', url: '/api/v1/readings?device=noise-1&every=1y', as: 'wang' });
    expect(json<{ details: { field: string } }>(bad.body).details.field).toBe('querystring.every');
  });
});

describe('reports mounted inside the API\'s auth', () => {
  it('needs a token, refuses another grid, serves the person\'s own', async () => {
    const from = clock.now() - 3600_000;
    expect((await call({ method: 'GET', url: `/api/v1/reports/uptime?from=${from}` })).status).toBe(401);
    const other = await call({ method: 'GET', url: `/api/v1/reports/uptime?from=${from}&grid=g2`, as: 'wang' });
    expect(other.status).toBe(403);
    expect(json<{ code: string }>(other.body).code).toBe('GW_ERR_API_FORBIDDEN');
    const own = await call({ method: 'GET', url: `/api/v1/reports/uptime?from=${from}&grid=g1`, as: 'wang' });
    expect(own.status).toBe(200);
    const noFrom = await call({ method: 'GET', url: '/api/v1/reports/uptime', as: 'wang' });
    expect(noFrom.status).toBe(400);
    expect(json<{ details: { field: string } }>(noFrom.body).details.field).toBe('from');
  });
});

describe('admin-only and docs', () => {
  it('an unknown API route is a JSON 404', async () => {
    const r = await call({ method: 'GET', url: '/api/v1/nothing-here', as: 'wang' });
    expect(r.status).toBe(404);
    expect(json<{ code: string }>(r.body).code).toBe('GW_ERR_API_NOT_FOUND');
  });

  it('the audit log is admin-only', async () => {
    const r = await call({ method: 'GET', url: '/api/v1/audit', as: 'zhang' });
    expect(r.status).toBe(403);
    expect(json<{ message: string }>(r.body).message).toMatch(/needs role admin/);
  });

  it('serves OpenAPI with the routes and their schemas', async () => {
    const r = await t.hub.ctx.app.inject({ method: 'GET', url: '/docs/json' });
    const spec = JSON.parse(r.body) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/v1/devices', '/api/v1/alerts/{id}/ack', '/api/v1/auth/login']));
    const ui = await t.hub.ctx.app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body.toLowerCase()).toContain('swagger');
  });
});

describe('sessions', () => {
  // a hub and clock of their own: these tests lock people out, change a person and move the clock
  // past every token's expiry, which must not reach the tests above whatever order they run in
  let s: ApiHarness;
  beforeAll(async () => {
    s = await startApiHarness([{ id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas', building: 'b2' }]);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('throttles failed logins per person and address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await s.call({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.9.9.9', payload: { username: 'wang', password: 'guess' } })).status);
    }
    expect(statuses.slice(0, 5).every((st) => st === 401)).toBe(true);
    const last = await s.call({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.9.9.9', payload: { username: 'wang', password: password('wang') } });
    expect(last.status).toBe(429);
    expect(json<{ code: string }>(last.body).code).toBe('GW_ERR_API_RATE');
  });

  it('logout revokes the token', async () => {
    const r = await s.call({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.0.7', payload: { username: 'li', password: password('li') } });
    const tok = json<{ token: string }>(r.body).token;
    s.tokens.set('li2', tok);
    expect((await s.call({ method: 'POST', url: '/api/v1/auth/logout', as: 'li2' })).status).toBe(200);
    const after = await s.call({ method: 'GET', url: '/api/v1/me', as: 'li2' });
    expect(after.status).toBe(401);
    expect(json<{ message: string }>(after.body).message).toMatch(/revoked/);
    expect((await s.call({ method: 'GET', url: '/api/v1/me', as: 'li' })).status).toBe(200);
  });

  it('a person whose config changes keeps their session with the new rights; a removed person is locked out', async () => {
    const people = s.t.hub.ctx.config.people;
    const zhao = people.find((p) => p.id === 'zhao')!;
    zhao.grids = ['g1', 'g2'];
    expect(json<{ grids: string[] }>((await s.call({ method: 'GET', url: '/api/v1/me', as: 'zhao' })).body).grids).toEqual(['g1', 'g2']);
    expect((await s.call({ method: 'GET', url: '/api/v1/devices?grid=g1', as: 'zhao' })).status).toBe(200);
    people.splice(people.indexOf(zhao), 1);
    const r = await s.call({ method: 'GET', url: '/api/v1/me', as: 'zhao' });
    expect(r.status).toBe(401);
    expect(json<{ message: string }>(r.body).message).toMatch(/no longer exists/);
  });

  it('a token expires after 12 hours', async () => {
    expect((await s.call({ method: 'GET', url: '/api/v1/me', as: 'root' })).status).toBe(200);
    const before = s.clock.now();
    s.clock.advance(12 * 3600_000 + 1);
    try {
      const r = await s.call({ method: 'GET', url: '/api/v1/me', as: 'root' });
      expect(r.status).toBe(401);
      expect(json<{ message: string }>(r.body).message).toMatch(/expired/);
    } finally {
      s.clock.set(before); // the other tokens of this hub stay valid for any test run after this one
    }
  });
});
