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

describe('kind metadata (labels, units, report intervals: one source)', () => {
  it('each kind module takes its label, interval, headline field and field labels and units from its pure meta', async () => {
    const { KIND_META, fieldMeta } = await import('../../src/kinds/meta.js');
    for (const name of KIND_NAMES) {
      const kind = KINDS[name];
      const meta = KIND_META[name];
      expect(kind).toMatchObject({ name: meta.name, label: meta.label, defaultIntervalS: meta.defaultIntervalS, primaryField: meta.primaryField });
      expect(Object.keys(kind.fields).sort()).toEqual(Object.keys(meta.fields).sort());
      for (const [f, spec] of Object.entries(kind.fields)) expect({ label: spec.label, unit: spec.unit }).toEqual({ label: meta.fields[f]?.label, unit: meta.fields[f]?.unit });
    }
    expect(fieldMeta('lel')?.label.zh).toBe('可燃气体浓度');
    expect(fieldMeta('battery')?.unit).toBe('%');
  });
});
