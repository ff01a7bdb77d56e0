import { describe, expect, it } from 'vitest';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import { effectiveRules, scopeRank } from '../../src/rules/resolve.js';
import { device } from './fixtures.js';

const gas = device('gas', { id: 'gas-1', building: 'b1', grid: 'g1', community: 'c1' });
const thr = (raise: number): RuleSpec['condition'] => ({ type: 'threshold', field: 'lel', op: 'gte', raise, clear: 5 });

describe('effectiveRules', () => {
  it('a device gets its kind defaults plus the common rules, and nothing of other kinds', () => {
    const ids = effectiveRules(gas, []).map((r) => r.id);
    expect(ids).toContain('gas-critical');
    expect(ids).toContain('offline');
    expect(ids).toContain('battery-low');
    expect(ids).not.toContain('smoke-alarm');
  });
  it('the most specific matching scope wins: device > building > grid > community > global', () => {
    const rules: RuleSpec[] = [
      { id: 'gas-warning', severity: 'warning', condition: thr(11) },
      { id: 'gas-warning', severity: 'warning', condition: thr(14), scope: { device: 'gas-1' } },
      { id: 'gas-warning', severity: 'warning', condition: thr(12), scope: { grid: 'g1' } },
      { id: 'gas-warning', severity: 'warning', condition: thr(13), scope: { building: 'b1' } },
      { id: 'gas-warning', severity: 'warning', condition: thr(15), scope: { device: 'other' } },
    ];
    const pick = (d = gas): number => {
      const r = effectiveRules(d, rules).find((x) => x.id === 'gas-warning');
      return r?.condition.type === 'threshold' ? r.condition.raise : -1;
    };
    expect(pick()).toBe(14);
    expect(pick({ ...gas, id: 'gas-2' })).toBe(13);
    expect(pick({ ...gas, id: 'gas-2', building: 'b2' })).toBe(12);
    expect(pick({ ...gas, id: 'gas-2', building: 'b2', grid: 'g2' })).toBe(11);
  });
  it('enabled: false switches a rule off for the scope only', () => {
    const rules: RuleSpec[] = [{ id: 'offline', severity: 'warning', condition: { type: 'noData', factor: 3, minSilence: '5m', grace: '2m' }, enabled: false, scope: { community: 'c1' } }];
    expect(effectiveRules(gas, rules).map((r) => r.id)).not.toContain('offline');
    expect(effectiveRules({ ...gas, community: 'c2' }, rules).map((r) => r.id)).toContain('offline');
  });
  it('config rules with a new id add a rule; a kind filter keeps them off other kinds', () => {
    const rules: RuleSpec[] = [{ id: 'lel-rate', kind: 'gas', severity: 'info', condition: { type: 'rate', field: 'lel', perMinute: 5, over: '5m' } }];
    expect(effectiveRules(gas, rules).map((r) => r.id)).toContain('lel-rate');
    expect(effectiveRules(device('smoke'), rules).map((r) => r.id)).not.toContain('lel-rate');
  });
  it('scopeRank rejects a scope naming another place', () => {
    expect(scopeRank({ id: 'x', severity: 'info', condition: thr(1), scope: { community: 'c9' } }, gas)).toBe(-1);
    expect(scopeRank({ id: 'x', severity: 'info', condition: thr(1) }, gas)).toBe(0);
  });
});
