// Every kind module in the registry keeps the contract: measurement name, a required primary
// field with a label in both languages, and default rules that the rule schema accepts.
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { RuleSpecSchema } from '../../src/core/rule-spec.js';
import { COMMON_RULES, KINDS, KIND_NAMES } from '../../src/kinds/index.js';

const Ajv = AjvModule.default ?? AjvModule;
const validRule = new Ajv({ strict: false }).compile(RuleSpecSchema);

describe('sensor kind registry', () => {
  it('has the four contract kinds, each writing to its own measurement', () => {
    expect([...KIND_NAMES].sort()).toEqual(['gas', 'noise', 'smoke', 'water']);
    for (const name of KIND_NAMES) expect(KINDS[name].measurement).toBe(name);
  });

  it.each(KIND_NAMES)('%s: primary field is required and every field has zh and en labels', (name) => {
    const kind = KINDS[name];
    expect(kind.fields[kind.primaryField]?.required).toBe(true);
    for (const [field, spec] of Object.entries(kind.fields)) {
      expect(spec.label.zh, field).not.toBe('');
      expect(spec.label.en, field).not.toBe('');
    }
  });

  it.each(KIND_NAMES)('%s: default rules are valid rules of this kind with unique ids', (name) => {
    const rules = KINDS[name].defaultRules;
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(validRule(r), `${r.id}: ${JSON.stringify(validRule.errors)}`).toBe(true);
      expect(r.kind).toBe(name);
    }
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
  });

  it('common rules are valid and apply to every kind', () => {
    for (const r of COMMON_RULES) {
      expect(validRule(r), r.id).toBe(true);
      expect(r.kind).toBeUndefined();
    }
  });
});
