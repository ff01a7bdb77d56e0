// The effective rules of one device: its kind's defaults + the common rules, overridden by config
// rules with the same id whose scope matches (device > building > grid > community > global);
// `enabled: false` switches a rule off. Config rules with a new id add a rule.
import type { DeviceInfo } from '../core/domain.js';
import type { RuleSpec } from '../core/rule-spec.js';
import { COMMON_RULES, KINDS } from '../kinds/index.js';

/** -1: the scope does not match this device; otherwise how specific it is (0 = global). */
export function scopeRank(rule: RuleSpec, d: DeviceInfo): number {
  const s = rule.scope;
  if (!s) return 0;
  if (s.device !== undefined && s.device !== d.id) return -1;
  if (s.building !== undefined && s.building !== d.building) return -1;
  if (s.grid !== undefined && s.grid !== d.grid) return -1;
  if (s.community !== undefined && s.community !== d.community) return -1;
  if (s.device !== undefined) return 4;
  if (s.building !== undefined) return 3;
  if (s.grid !== undefined) return 2;
  if (s.community !== undefined) return 1;
  return 0;
}

export function defaultRulesFor(d: DeviceInfo): RuleSpec[] {
  return [...KINDS[d.kind].defaultRules, ...COMMON_RULES];
}

export function effectiveRules(d: DeviceInfo, configRules: readonly RuleSpec[], defaults: readonly RuleSpec[] = defaultRulesFor(d)): RuleSpec[] {
  const byId = new Map<string, { rule: RuleSpec; rank: number }>();
  for (const r of defaults) if (r.kind === undefined || r.kind === d.kind) byId.set(r.id, { rule: r, rank: -0.5 });
  for (const r of configRules) {
    if (r.kind !== undefined && r.kind !== d.kind) continue;
    const rank = scopeRank(r, d);
    if (rank < 0) continue;
    const prev = byId.get(r.id);
    if (!prev || rank >= prev.rank) byId.set(r.id, { rule: r, rank });
  }
  const out: RuleSpec[] = [];
  for (const { rule } of byId.values()) if (rule.enabled !== false) out.push(rule);
  return out;
}
