// Cluster mode, two hubs' registries and API sessions on one real PostgreSQL (two pools, as two
// hubs have): a change made on hub A is announced on hub B with the same event, a token issued on A
// works on B, and an access change on A (password reset, disable, logout) refuses it on B at once.
// After B's notification connection is lost, B catches up with what it missed.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import { verifySecret } from '../../src/core/secret.js';
import { parseConfig } from '../../src/config/index.js';
import { testSite, until } from '../helpers/hub.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { password, peopleConfig } from '../api/people.js';
import { side as openSide, type TestHubSide } from './hub-side.js';

const config = parseConfig(testSite([{ id: 'gas-1', kind: 'gas' }], { people: peopleConfig() }).raw, '(test)', { env: {} });
const side = (url: string): Promise<TestHubSide> => openSide(url, config);
const gasRule = (raise: number): RuleSpec => ({ id: 'gas-critical', kind: 'gas', severity: 'critical', condition: { type: 'threshold', field: 'lel', op: 'gte', raise, clear: 10 }, scope: { grid: 'g1' } });

let server: TestPostgres;
let a: TestHubSide;
let b: TestHubSide;

beforeAll(async () => {
  server = await startTestPostgres();
  [a, b] = await Promise.all([side(server.url), side(server.url)]); // two hubs starting together
}, 90_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await server?.cleanup();
}, 60_000);

describe('a change on hub A is announced on hub B', () => {
  it('a device provisioned on A can authenticate on B; rotated and decommissioned on A, B announces both', async () => {
    const { secret } = await a.registry.provisionDevice({ id: 'gas-new', kind: 'gas', building: 'b2', valve: true });
    await until(() => b.devices.find((c) => c.type === 'added' && c.device.id === 'gas-new'), 10_000, 'B announces the new device');
    expect(b.registry.device('gas-new')).toMatchObject({ grid: 'g2', valve: true });
    expect(await verifySecret(secret, b.registry.device('gas-new')?.secretHash ?? '')).toBe(true);

    const rotated = await a.registry.rotateSecret('gas-new');
    await until(() => b.devices.find((c) => c.type === 'secret' && c.device.id === 'gas-new'), 10_000, 'B announces the rotation');
    expect(await verifySecret(rotated, b.registry.device('gas-new')?.secretHash ?? '')).toBe(true);

    await a.registry.decommission('gas-1');
    await until(() => b.devices.find((c) => c.type === 'removed' && c.device.id === 'gas-1'), 10_000, 'B announces the decommission');
    expect(b.registry.device('gas-1')).toBeUndefined();
    // A announced its own changes once each; B never hears its own echo twice
    expect(a.devices.map((c) => `${c.type}:${c.device.id}`)).toEqual(['added:gas-new', 'secret:gas-new', 'removed:gas-1']);
    expect(b.devices.map((c) => `${c.type}:${c.device.id}`)).toEqual(['added:gas-new', 'secret:gas-new', 'removed:gas-1']);
  });

  it('the same new device id registered on A and B at once: one wins, both hubs hold the winner\'s secret', async () => {
    const results = await Promise.allSettled([
      a.registry.provisionDevice({ id: 'gas-twice', kind: 'gas', building: 'b1' }),
      b.registry.provisionDevice({ id: 'gas-twice', kind: 'gas', building: 'b1' }),
    ]);
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'GW_ERR_API_VALIDATION' } });
    const secret = won[0]?.secret ?? '';
    for (const hub of [a, b]) {
      await until(() => hub.registry.device('gas-twice'), 10_000, 'both hubs hold the device');
      expect(await verifySecret(secret, hub.registry.device('gas-twice')?.secretHash ?? '')).toBe(true);
    }
  });

  it('a person moved to another grid on A is moved on B (no revocation); a rule override put on A applies on B', async () => {
    await a.registry.updatePerson('wang', { grids: ['g2'] });
    const moved = await until(() => b.people.find((c) => c.id === 'wang'), 10_000, 'B announces the person change');
    expect(moved).toMatchObject({ before: { grids: ['g1'] }, after: { grids: ['g2'] }, revoke: false });
    expect(b.registry.person('wang')?.grids).toEqual(['g2']);

    await a.registry.putRule(gasRule(15));
    const rules = await until(() => b.rules.at(-1), 10_000, 'B announces the rules');
    expect(rules).toEqual([gasRule(15)]);
    await a.registry.removeRule('gas-critical', { grid: 'g1' });
    await until(() => b.rules.length === 2, 10_000, 'B announces the removal');
    expect(b.registry.rules()).toEqual([]);
  });
});

describe('sessions are shared', () => {
  it('a token issued on A works on B; after a password reset on A it is refused on B at once', async () => {
    const { token } = await a.api.sessions.login('li', password('li'));
    expect((await b.api.sessions.authenticate(token)).id).toBe('li');
    const fresh = await a.registry.resetPassword('li');
    // no waiting: the reset answered only after the tokens were revoked in PostgreSQL
    await expect(b.api.sessions.authenticate(token)).rejects.toMatchObject({ code: 'GW_ERR_API_AUTH', message: expect.stringMatching(/revoked/) });
    // B's live connections opened with it are told (NOTIFY) too
    await until(() => b.revoked.includes(b.api.sessions.hashToken(token)), 10_000, 'B hears the revocation');
    // the new password works on B (its registry follows A's)
    await until(() => b.registry.person('li')?.passwordHash === a.registry.person('li')?.passwordHash, 10_000, 'B has the new hash');
    expect((await b.api.sessions.authenticate((await b.api.sessions.login('li', fresh)).token)).id).toBe('li');
  });

  it('a password reset answers only once the tokens are revoked (a change returns with every hub refusing them)', async () => {
    const { token } = await a.api.sessions.login('wang', password('wang'));
    const hash = a.api.sessions.hashToken(token);
    // hold the session row locked: the revocation has to wait for it
    const blocker = new pg.Client({ connectionString: server.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM gw_sessions WHERE token_hash = $1 FOR UPDATE', [hash]);
      let answered = false;
      const reset = a.registry.resetPassword('wang').then(() => { answered = true; });
      await until(async () => (await server.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH r AS (UPDATE gw_sessions%'")).length > 0, 20_000, 'the revocation waiting on the lock');
      expect(answered).toBe(false);
      await blocker.query('COMMIT');
      await reset;
      await expect(b.api.sessions.authenticate(token)).rejects.toMatchObject({ code: 'GW_ERR_API_AUTH' });
    } finally {
      await blocker.end();
    }
  });

  it('disabled on A: the token is refused on B; a logout on A ends the token on B', async () => {
    const zhao = await a.api.sessions.login('zhao', password('zhao'));
    await a.registry.disablePerson('zhao');
    await expect(b.api.sessions.authenticate(zhao.token)).rejects.toMatchObject({ code: 'GW_ERR_API_AUTH' });
    await until(() => b.people.find((c) => c.id === 'zhao' && c.after === undefined && c.revoke), 10_000, 'B announces the disable');
    await expect(b.api.sessions.login('zhao', password('zhao'))).rejects.toMatchObject({ code: 'GW_ERR_API_AUTH' });

    const root = await b.api.sessions.login('root', password('root'));
    expect((await a.api.sessions.authenticate(root.token)).id).toBe('root');
    expect(await a.api.sessions.logout(root.token)).toBe(true);
    await expect(b.api.sessions.authenticate(root.token)).rejects.toMatchObject({ code: 'GW_ERR_API_AUTH' });
    await until(() => b.revoked.includes(b.api.sessions.hashToken(root.token)), 10_000, 'B hears the logout');
  });

  it('failed logins on A count against the same person and address on B', async () => {
    // what POST /auth/login does on each failure (src/api/routes/auth.ts)
    for (let i = 0; i < 6; i++) {
      a.api.logins.failed('root', '10.0.0.9', Date.now());
      await a.api.db.shareLogin?.('root', '10.0.0.9', false);
    }
    await until(() => b.api.logins.check('root', '10.0.0.9', Date.now()).refuseMs > 0, 10_000, 'B throttles the pair');
    expect(b.api.logins.check('root', '10.0.0.8', Date.now()).refuseMs).toBe(0);
  });
});

describe('a lost notification connection', () => {
  it('B catches up with a change made on A while it was not listening', async () => {
    // B's own login role, so its reconnect can be held off while A goes on writing
    await server.query('CREATE ROLE hub_b LOGIN SUPERUSER');
    const c = await side(server.url.replace('gridwatch@', 'hub_b@'));
    try {
      await server.query('ALTER ROLE hub_b NOLOGIN');
      await server.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'hub_b'");
      await until(async () => (await server.query("SELECT 1 FROM pg_stat_activity WHERE usename = 'hub_b'")).length === 0, 10_000, 'B has no connection left');
      await a.registry.provisionDevice({ id: 'gas-while-away', kind: 'gas', building: 'b1' });
      expect(c.registry.device('gas-while-away')).toBeUndefined();
      await server.query('ALTER ROLE hub_b LOGIN');
      await until(() => c.devices.find((d) => d.type === 'added' && d.device.id === 'gas-while-away'), 20_000, 'B announces what it missed');
      expect(c.registry.device('gas-while-away')).toBeDefined();
    } finally {
      await server.query('ALTER ROLE hub_b LOGIN');
      await c.close();
    }
  }, 60_000);
});
