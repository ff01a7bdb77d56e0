// The shipped default rules against shared/domain.md, and against the rule schema.
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { RuleSpecSchema, type RuleSpec } from '../../src/core/rule-spec.js';
import { COMMON_RULES, KINDS } from '../../src/kinds/index.js';
import { compileRule } from '../../src/rules/evaluate.js';

const Ajv = AjvModule.default ?? AjvModule;
const validate = new Ajv({ strict: false }).compile(RuleSpecSchema);
const all: RuleSpec[] = [...COMMON_RULES, ...Object.values(KINDS).flatMap((k) => k.defaultRules)];
const byId = new Map(all.map((r) => [r.id, r]));
const cond = (id: string): Record<string, unknown> => byId.get(id)?.condition as unknown as Record<string, unknown>;

describe('default rules', () => {
  it('every default validates against the rule schema, compiles, and has a unique id and a bilingual title', () => {
    for (const r of all) {
      expect(validate(r), `${r.id}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(() => compileRule(r)).not.toThrow();
      expect(r.title?.zh && r.title.en).toBeTruthy();
    }
    expect(byId.size).toBe(all.length);
  });
  it('match the set points in shared/domain.md', () => {
    expect(cond('gas-warning')).toMatchObject({ field: 'lel', raise: 10, clear: 5 });
    expect(cond('gas-critical')).toMatchObject({ field: 'lel', raise: 25, clear: 10 });
    expect(byId.get('gas-critical')?.actions).toEqual(['closeValve']);
    expect([cond('co-warning'), byId.get('co-warning')?.for]).toEqual([expect.objectContaining({ raise: 50 }), '60m']);
    expect([cond('co-critical'), byId.get('co-critical')?.for]).toEqual([expect.objectContaining({ raise: 100 }), '10m']);
    expect(cond('co-critical-instant')).toMatchObject({ raise: 300 });
    expect(byId.get('smoke-alarm')).toMatchObject({ severity: 'critical', condition: { field: 'alarm', equals: true } });
    expect(cond('smoke-obscuration')).toMatchObject({ raise: 4.5 });
    expect(byId.get('water-leak')).toMatchObject({ severity: 'warning', for: '30s' });
    expect(byId.get('water-leak-persisting')).toMatchObject({ severity: 'critical', for: '10m' });
    expect(cond('water-level')).toMatchObject({ raise: 20 });
    expect(cond('battery-low')).toMatchObject({ raise: 20 });
    expect(cond('battery-critical')).toMatchObject({ raise: 10 });
    expect(cond('offline')).toEqual({ type: 'noData', factor: 3, minSilence: '5m', grace: '2m' });
    expect(byId.get('noise-night')?.window).toEqual({ from: '22:00', to: '06:00' });
    expect(cond('noise-impulses')).toMatchObject({ field: 'lmax', minus: 'laeq', gte: 15, min: 6, within: '1h' });
  });
});
