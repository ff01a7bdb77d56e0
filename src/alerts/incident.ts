// One incident per device and hazard: rules that share a `hazard` (gas-warning and gas-critical,
// smoke-obscuration and smoke-alarm) feed ONE case. A config override of a default rule keeps the
// default's hazard unless it names its own. Pure.
import type { Severity } from '../core/domain.js';
import type { RuleSpec } from '../core/rule-spec.js';
import { COMMON_RULES, KINDS } from '../kinds/index.js';

const DEFAULT_HAZARD = new Map<string, string>();
for (const r of [...Object.values(KINDS).flatMap((k) => k.defaultRules), ...COMMON_RULES]) if (r.hazard) DEFAULT_HAZARD.set(r.id, r.hazard);

/** the incident key of a rule: its hazard, the default rule's hazard, else the rule id itself */
export function incidentOf(rule: Pick<RuleSpec, 'id' | 'hazard'>): string {
  return rule.hazard ?? DEFAULT_HAZARD.get(rule.id) ?? rule.id;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function isHigher(a: Severity, than: Severity): boolean {
  return RANK[a] > RANK[than];
}

/** the case's active rules after `rule` raised (added) or cleared (removed) */
export function withRule(active: readonly string[] | undefined, rule: string, on: boolean): string[] {
  const rest = (active ?? []).filter((r) => r !== rule);
  return on ? [...rest, rule] : rest;
}
