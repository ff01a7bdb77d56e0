// Rule overrides managed over the API: put (add or replace) and delete, keyed by rule id + scope.
// Persisted in api.db's `rule_overrides` table and merged over the config's `rules` at start (a
// deleted config rule is kept as a tombstone, like a decommissioned device). Every change goes to
// `onChange` (the Registry announces it as a `rules` event; the alerting stage re-resolves). A
// change is stored first, then applied; `merge` applies a row stored by another hub (cluster mode).
import { ValidationError } from '../core/errors.js';
import { GridwatchError } from '../core/errors.js';
import type { RuleSpec } from '../core/rule-spec.js';
import type { SiteIndex } from '../config/site.js';
import { compileRule } from '../rules/evaluate.js';
import type { RegistryStore, StoredRule } from './store.js';

export type RuleScope = NonNullable<RuleSpec['scope']>;
const SCOPE_KEYS = ['community', 'grid', 'building', 'device'] as const;

/** A scope as text: `grid:g1`, `grid:g1,building:b2`; '' is global. Also the `?scope=` of DELETE. */
export function scopeKey(scope: RuleSpec['scope']): string {
  if (!scope) return '';
  return SCOPE_KEYS.filter((k) => scope[k] !== undefined).map((k) => `${k}:${scope[k] ?? ''}`).join(',');
}

export function parseScopeKey(text: string | undefined): RuleScope {
  const scope: RuleScope = {};
  if (!text) return scope;
  for (const part of text.split(',')) {
    const m = /^(community|grid|building|device):(.+)$/.exec(part.trim());
    if (!m) throw new ValidationError('GW_ERR_API_VALIDATION', 'querystring.scope', text, 'must be comma-separated <community|grid|building|device>:<id> pairs, or empty for global');
    scope[m[1] as (typeof SCOPE_KEYS)[number]] = m[2] as string;
  }
  return scope;
}

export const overrideKey = (id: string, scope: RuleSpec['scope']): string => `${id}@${scopeKey(scope)}`;

export interface OverrideView { rule: RuleSpec; source: 'config' | 'api'; scopeKey: string }

export class RuleOverrides {
  private readonly items = new Map<string, OverrideView>();

  constructor(private readonly db: RegistryStore, configRules: readonly RuleSpec[], stored: readonly StoredRule[], private readonly site: SiteIndex, private readonly onChange: (rules: readonly RuleSpec[]) => Promise<void> | void = () => {}) {
    for (const r of configRules) this.items.set(overrideKey(r.id, r.scope), { rule: r, source: 'config', scopeKey: scopeKey(r.scope) });
    for (const s of stored) this.merge(s);
  }

  /** Applies a stored row; true when the rules in force changed. */
  merge(s: StoredRule): boolean {
    const before = this.items.get(s.key);
    if (s.deletedAt !== null) return this.items.delete(s.key);
    if (before?.source === 'api' && JSON.stringify(before.rule) === JSON.stringify(s.rule)) return false;
    this.items.set(s.key, { rule: s.rule, source: 'api', scopeKey: scopeKey(s.rule.scope) });
    return true;
  }

  /** The overrides in force (config merged with the API's), as effectiveRules() takes them. */
  rules(): RuleSpec[] {
    return [...this.items.values()].map((v) => v.rule);
  }

  list(): OverrideView[] {
    return [...this.items.values()];
  }

  async put(rule: RuleSpec, at: number): Promise<OverrideView> {
    this.check(rule);
    const key = overrideKey(rule.id, rule.scope);
    const view: OverrideView = { rule, source: 'api', scopeKey: scopeKey(rule.scope) };
    await this.db.saveRule(key, rule, at);
    this.items.set(key, view);
    await this.onChange(this.rules());
    return view;
  }

  async remove(id: string, scope: RuleScope, at: number): Promise<RuleSpec> {
    const key = overrideKey(id, Object.keys(scope).length ? scope : undefined);
    const v = this.items.get(key);
    if (!v) throw new GridwatchError('GW_ERR_API_NOT_FOUND', `no rule override '${id}' with scope '${scopeKey(scope) || 'global'}'`, { details: { rule: id, scope: scopeKey(scope) } });
    // a config rule needs a tombstone so a restart does not bring it back
    await this.db.saveRule(key, v.rule, at, true);
    this.items.delete(key);
    await this.onChange(this.rules());
    return v.rule;
  }

  private check(rule: RuleSpec): void {
    const s = rule.scope ?? {};
    const known = { community: this.site.communities, grid: this.site.grids, building: this.site.buildings, device: this.site.devices };
    for (const k of SCOPE_KEYS) {
      const v = s[k];
      if (v !== undefined && !known[k].has(v)) throw new ValidationError('GW_ERR_API_VALIDATION', `body.scope.${k}`, v, `must name a known ${k}`);
    }
    const c = rule.condition;
    if (c.type === 'threshold' || c.type === 'battery') {
      const op = c.type === 'threshold' ? c.op : 'lte';
      if (op === 'gte' ? c.clear > c.raise : c.clear < c.raise) {
        throw new ValidationError('GW_ERR_API_VALIDATION', 'body.condition.clear', c.clear, `must be ${op === 'gte' ? 'at or below' : 'at or above'} raise (${c.raise}) for op ${op}`);
      }
    }
    try {
      compileRule(rule);
    } catch (e) {
      throw new ValidationError('GW_ERR_API_VALIDATION', 'body', rule.id, (e as Error).message);
    }
  }
}
