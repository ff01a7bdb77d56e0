// RuleEngine.refreshRules: overrides changed at run time re-resolve a device's rules; unchanged
// rules keep their state, a changed rule keeps being active so an open case can still clear.
import { describe, expect, it } from 'vitest';
import type { RuleSpec } from '../../src/core/rule-spec.js';
import { RuleEngine } from '../../src/rules/engine.js';
import { effectiveRules } from '../../src/rules/resolve.js';
import { device } from './fixtures.js';

const critical20: RuleSpec = { id: 'gas-critical', kind: 'gas', severity: 'critical', condition: { type: 'threshold', field: 'lel', op: 'gte', raise: 20, clear: 10 } };

function setup(): { e: RuleEngine; overrides: RuleSpec[]; at: (ts: number, lel: number) => string[] } {
  const overrides: RuleSpec[] = [];
  const e = new RuleEngine({ timezone: 'Asia/Shanghai', rulesFor: (d) => effectiveRules(d, overrides) });
  const d = device('gas');
  e.addDevice(d, 0);
  const at = (ts: number, lel: number): string[] => e.onReading({ device: d.id, kind: 'gas', ts, values: { lel } }, d, ts).map((t) => `${t.transition}:${t.rule.id}`);
  return { e, overrides, at };
}

describe('RuleEngine.refreshRules', () => {
  it('a lowered raise applies to the next reading without re-adding the device', () => {
    const { e, overrides, at } = setup();
    expect(at(1000, 22)).toEqual(['raise:gas-warning']);
    overrides.push(critical20);
    expect(at(2000, 22)).toEqual([]); // the engine still holds the compiled default
    e.refreshRules(2500);
    expect(at(3000, 22)).toEqual(['raise:gas-critical']);
    expect(e.isActive(device('gas').id, 'gas-warning')).toBe(true); // unchanged rule kept its state
  });

  it('a rule changed while active stays active, so it clears rather than raising again', () => {
    const { e, overrides, at } = setup();
    expect(at(1000, 30)).toEqual(['raise:gas-warning', 'raise:gas-critical']);
    overrides.push(critical20);
    e.refreshRules(2000);
    expect(e.isActive(device('gas').id, 'gas-critical')).toBe(true);
    expect(at(3000, 30)).toEqual([]);
    expect(at(100_000, 8)).toEqual(['clear:gas-critical']);
  });

  it('a disabled rule is dropped; refreshing unknown ids is harmless', () => {
    const { e, overrides, at } = setup();
    overrides.push({ ...critical20, enabled: false });
    e.refreshRules(500, ['nope', device('gas').id]);
    expect(at(1000, 40)).toEqual(['raise:gas-warning']);
  });
});
