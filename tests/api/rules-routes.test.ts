// Rules over the REST API against a real hub (real influxd, better-sqlite3, fastify, the running
// rules engine): reading defaults and overrides scoped to the person's grids, the effective rules
// of a device, admin-only changes with schema rejections and audit, an override applied to the
// running engine without a restart, and stored overrides applied by a hub started on the same data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertCase } from '../../src/core/alert-types.js';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import { startTestHub } from '../helpers/hub.js';
import { json, startApiHarness, waitFor, type ApiHarness } from './harness.js';
import { peopleConfig } from './people.js';

const configRule = { id: 'gas-warning', kind: 'gas', severity: 'warning', condition: { type: 'threshold', field: 'lel', op: 'gte', raise: 15, clear: 5 }, scope: { grid: 'g2' } };
const critical20 = { id: 'gas-critical', kind: 'gas', severity: 'critical', condition: { type: 'threshold', field: 'lel', op: 'gte', raise: 20, clear: 10 }, minHold: '60s', actions: ['closeValve'], scope: { device: 'gas-1' } };

let h: ApiHarness;
let call: ApiHarness['call'];

beforeAll(async () => {
  h = await startApiHarness([{ id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas' }, { id: 'gas-3', kind: 'gas', building: 'b2' }], { rules: [configRule] });
  ({ call } = h);
});

afterAll(async () => {
  await h?.close();
});

interface Overview { defaults: Record<string, RuleSpec[]>; common: RuleSpec[]; overrides: { rule: RuleSpec; source: string; scopeKey: string }[] }
interface Err { code: string; details: { field?: string } }

const raiseOf = (rules: RuleSpec[], id: string): unknown => {
  const c = rules.find((r) => r.id === id)?.condition;
  return c?.type === 'threshold' ? c.raise : undefined;
};
const effective = async (device: string, as = 'root'): Promise<RuleSpec[]> => json<RuleSpec[]>((await call({ method: 'GET', url: `/api/v1/devices/${device}/rules`, as })).body);
const lastAudit = async (): Promise<{ action: string; target: string; details: Record<string, unknown> }> =>
  json<{ action: string; target: string; details: Record<string, unknown> }[]>((await call({ method: 'GET', url: '/api/v1/audit?actor=root&limit=1', as: 'root' })).body)[0] ?? { action: '', target: '', details: {} };

describe('reading rules', () => {
  it('GET /rules gives the defaults per kind, the common rules and the overrides the person may see', async () => {
    const all = json<Overview>((await call({ method: 'GET', url: '/api/v1/rules', as: 'root' })).body);
    expect(raiseOf(all.defaults.gas ?? [], 'gas-critical')).toBe(25);
    expect(Object.keys(all.defaults).sort()).toEqual(['gas', 'noise', 'smoke', 'water']);
    expect(all.common.map((r) => r.id)).toContain('battery-low');
    expect(all.overrides).toEqual([{ rule: configRule, source: 'config', scopeKey: 'grid:g2' }]);
    // a g1 worker does not see a g2 override; a g2 worker and the street do
    expect(json<Overview>((await call({ method: 'GET', url: '/api/v1/rules', as: 'wang' })).body).overrides).toEqual([]);
    for (const as of ['zhao', 'zhang']) expect(json<Overview>((await call({ method: 'GET', url: '/api/v1/rules', as })).body).overrides).toHaveLength(1);
  });

  it('GET /devices/:id/rules gives the effective rules, scoped to the person\'s grids', async () => {
    expect(raiseOf(await effective('gas-1', 'wang'), 'gas-warning')).toBe(10);
    expect(raiseOf(await effective('gas-3', 'zhao'), 'gas-warning')).toBe(15); // the config's g2 override
    expect((await call({ method: 'GET', url: '/api/v1/devices/gas-3/rules', as: 'wang' })).status).toBe(403);
    expect((await call({ method: 'GET', url: '/api/v1/devices/nope/rules', as: 'root' })).status).toBe(404);
  });
});

describe('changing rules', () => {
  it('only an admin may change rules', async () => {
    for (const as of ['zhang', 'li', 'wang']) {
      expect((await call({ method: 'PUT', url: '/api/v1/rules/overrides/gas-critical', as, payload: critical20 })).status).toBe(403);
      expect((await call({ method: 'DELETE', url: '/api/v1/rules/overrides/gas-warning?scope=grid:g2', as })).status).toBe(403);
    }
    expect(raiseOf(await effective('gas-1'), 'gas-critical')).toBe(25);
  });

  it('rejects a bad rule with 400 naming the field', async () => {
    const { severity: _s, ...noSeverity } = critical20;
    const cases: [string, unknown, string][] = [
      ['gas-critical', noSeverity, 'body.severity'],
      ['gas-critical', { ...critical20, colour: 'red' }, 'body.colour'],
      ['gas-critical', { ...critical20, severity: 'huge' }, 'body.severity'],
      ['gas-critical', { ...critical20, for: 'soon' }, 'body.for'],
      ['other-id', critical20, 'body.id'],
      ['gas-critical', { ...critical20, scope: { grid: 'g9' } }, 'body.scope.grid'],
      ['gas-critical', { ...critical20, condition: { ...critical20.condition, clear: 30 } }, 'body.condition.clear'],
      ['Bad Id', { ...critical20, id: 'Bad Id' }, 'params.id'],
    ];
    for (const [id, payload, field] of cases) {
      const r = await call({ method: 'PUT', url: `/api/v1/rules/overrides/${encodeURIComponent(id)}`, as: 'root', payload: payload as Record<string, unknown> });
      expect(r.status, field).toBe(400);
      expect(json<Err>(r.body)).toMatchObject({ code: 'GW_ERR_API_VALIDATION', details: { field } });
    }
    const badScope = await call({ method: 'DELETE', url: '/api/v1/rules/overrides/gas-critical?scope=street:x', as: 'root' });
    expect(json<Err>(badScope.body)).toMatchObject({ code: 'GW_ERR_API_VALIDATION', details: { field: 'querystring.scope' } });
  });

  it('an override lowers gas-critical to 20 for one device, and the running engine opens a critical case at 22', async () => {
    const r = await call({ method: 'PUT', url: '/api/v1/rules/overrides/gas-critical', as: 'root', payload: critical20 });
    expect(r.status).toBe(200);
    expect(json<Overview['overrides'][number]>(r.body)).toMatchObject({ source: 'api', scopeKey: 'device:gas-1' });
    expect(await lastAudit()).toMatchObject({ action: 'rule.put', target: 'rule:gas-critical', details: { scope: 'device:gas-1' } });
    expect(raiseOf(await effective('gas-1'), 'gas-critical')).toBe(20);
    expect(raiseOf(await effective('gas-2'), 'gas-critical')).toBe(25);
    const open = async (): Promise<AlertCase[]> => (await h.t.hub.ctx.alerts?.list({ state: ['open'] })) ?? [];
    h.emitReading('gas-2', { lel: 22 });
    h.emitReading('gas-1', { lel: 22 });
    const c = await waitFor(async () => (await open()).find((x) => x.device === 'gas-1' && x.rule === 'gas-critical'), 'gas-1 critical case');
    expect(c.severity).toBe('critical');
    await waitFor(async () => (await open()).find((x) => x.device === 'gas-2' && x.rule === 'gas-warning'), 'gas-2 warning case');
    expect((await open()).filter((x) => x.device === 'gas-2').map((x) => x.rule)).toEqual(['gas-warning']);
  });

  it('deleting overrides restores the defaults (config ones too) and is audit-logged; a missing one is 404', async () => {
    expect((await call({ method: 'DELETE', url: '/api/v1/rules/overrides/gas-critical?scope=device:gas-1', as: 'root' })).status).toBe(200);
    expect(await lastAudit()).toMatchObject({ action: 'rule.delete', target: 'rule:gas-critical', details: { scope: 'device:gas-1' } });
    expect(raiseOf(await effective('gas-1'), 'gas-critical')).toBe(25);
    expect((await call({ method: 'DELETE', url: '/api/v1/rules/overrides/gas-critical?scope=device:gas-1', as: 'root' })).status).toBe(404);
    expect((await call({ method: 'DELETE', url: '/api/v1/rules/overrides/gas-warning', as: 'root' })).status).toBe(404); // global: none
    expect((await call({ method: 'DELETE', url: '/api/v1/rules/overrides/gas-warning?scope=grid:g2', as: 'root' })).status).toBe(200);
    expect(raiseOf(await effective('gas-3'), 'gas-warning')).toBe(10);
    expect(json<Overview>((await call({ method: 'GET', url: '/api/v1/rules', as: 'root' })).body).overrides).toEqual([]);
  });

  it('a hub started on the same data applies the stored overrides (and tombstones) to its engine', async () => {
    const put = await call({ method: 'PUT', url: '/api/v1/rules/overrides/gas-critical', as: 'root', payload: { ...critical20, scope: { device: 'gas-2' } } });
    expect(put.status).toBe(200);
    const influxUrl = h.t.config.influx.url;
    if (!influxUrl) throw new Error('no influx url');
    const again = await startTestHub({
      influxUrl, database: 'gw_rules_restart', devices: [{ id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas' }, { id: 'gas-3', kind: 'gas', building: 'b2' }],
      overrides: { people: peopleConfig(), rules: [configRule], dataDir: h.t.dataDir },
    });
    try {
      const d = again.hub.ctx.site.devices.get('gas-2');
      if (!d) throw new Error('no gas-2');
      const login = await again.hub.ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'root', password: 'pw-root-secret' } });
      const token = json<{ token: string }>(JSON.parse(login.body)).token;
      const rules = await again.hub.ctx.app.inject({ method: 'GET', url: '/api/v1/devices/gas-3/rules', headers: { authorization: `Bearer ${token}` } });
      expect(raiseOf(JSON.parse(rules.body) as RuleSpec[], 'gas-warning')).toBe(10); // the deleted config override stays deleted
      again.hub.ctx.bus.emit('reading', { device: 'gas-2', kind: 'gas', ts: Date.now(), values: { lel: 21 } }, d);
      const c = await waitFor(async () => (await again.hub.ctx.alerts?.list({ state: ['open'] }))?.find((x) => x.device === 'gas-2' && x.rule === 'gas-critical'), 'gas-2 critical case after restart');
      expect(c.severity).toBe('critical');
    } finally {
      await again.close();
    }
  });
});
