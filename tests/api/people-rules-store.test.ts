// People and rule overrides managed over the API survive a restart: a fresh People / RuleOverrides
// over the same config and the api.db they were saved in (real better-sqlite3 file).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import { verifySecret } from '../../src/core/secret.js';
import { parseConfig, SiteIndex } from '../../src/config/index.js';
import { ApiDb } from '../../src/api/db.js';
import { People } from '../../src/api/people.js';
import { parseScopeKey, RuleOverrides, scopeKey } from '../../src/api/rule-overrides.js';
import { testSite } from '../helpers/hub.js';
import { peopleConfig } from './people.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-api-people-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const gasRule = (raise: number, scope?: RuleSpec['scope']): RuleSpec => ({ id: 'gas-critical', kind: 'gas', severity: 'critical', condition: { type: 'threshold', field: 'lel', op: 'gte', raise, clear: 10 }, ...(scope ? { scope } : {}) });
const config = parseConfig(testSite([{ id: 'gas-1', kind: 'gas' }], { people: peopleConfig(), rules: [gasRule(22, { grid: 'g2' })] }).raw, '(test)', { env: {} });

describe('people persistence', () => {
  it('added, changed and disabled people are the same after a restart, merged over the config', async () => {
    const file = join(dir, 'people.db');
    let db = new ApiDb(file);
    const site = new SiteIndex(config);
    let people = new People(db, () => config.people, site);
    const { password } = await people.add({ id: 'sun', name: '孙', role: 'grid_worker', grids: ['g2'] }, 1000);
    people.update('wang', { grids: ['g1', 'g2'] }, 2000);
    people.disable('zhao', 3000);
    db.close();

    db = new ApiDb(file);
    people = new People(db, () => config.people, site);
    expect(people.list().map((p) => p.id)).toEqual(['root', 'zhang', 'li', 'wang', 'sun']);
    expect(people.get('wang')?.grids).toEqual(['g1', 'g2']);
    expect(people.get('zhao')).toBeUndefined();
    expect(await verifySecret(password, people.get('sun')?.passwordHash ?? '')).toBe(true);
    // a disabled person may be added again under the same id
    await people.add({ id: 'zhao', name: '赵', role: 'street', grids: [] }, 4000);
    expect(people.get('zhao')?.role).toBe('street');
    db.close();
  });
});

describe('rule override persistence', () => {
  it('put and deleted overrides (a deleted config rule too) are the same after a restart', () => {
    const file = join(dir, 'rules.db');
    let db = new ApiDb(file);
    const site = new SiteIndex(config);
    const pushed: RuleSpec[][] = [];
    let rules = new RuleOverrides(db, config.rules, site, (l) => pushed.push([...l]));
    rules.put(gasRule(20, { device: 'gas-1' }), 1000);
    rules.put(gasRule(18), 1500);
    rules.remove('gas-critical', { grid: 'g2' }, 2000);
    expect(pushed).toHaveLength(3);
    db.close();

    db = new ApiDb(file);
    rules = new RuleOverrides(db, config.rules, site);
    expect(rules.list().map((o) => [o.scopeKey, o.source])).toEqual([['', 'api'], ['device:gas-1', 'api']]);
    db.close();
  });

  it('scope keys round-trip and name the field on bad input', () => {
    expect(scopeKey({ building: 'b1', grid: 'g1' })).toBe('grid:g1,building:b1');
    expect(parseScopeKey('grid:g1,building:b1')).toEqual({ grid: 'g1', building: 'b1' });
    expect(parseScopeKey(undefined)).toEqual({});
    expect(() => parseScopeKey('street:x')).toThrow(/querystring.scope/);
  });
});
