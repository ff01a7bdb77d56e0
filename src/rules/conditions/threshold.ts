// Threshold with hysteresis: raise at `raise`, clear at `clear` (op gte: above; lte: below).
import type { Condition } from '../../core/rule-spec.js';
import type { CondResult, ConditionImpl, RuleInput } from '../types.js';

type Threshold = Extract<Condition, { type: 'threshold' }>;

const HIGH: CondResult = { verdict: 'high' };
const LOW: CondResult = { verdict: 'low' };
const NONE: CondResult = { verdict: 'none' };

export function numericField(input: RuleInput, field: string): number | undefined {
  if (input.type !== 'reading') return undefined;
  const v = input.reading.values[field];
  return typeof v === 'number' ? v : undefined;
}

/** Hysteresis comparison shared by threshold, battery and zone limits. */
export function compare(v: number, op: 'gte' | 'lte', raise: number, clear: number): CondResult {
  if (op === 'gte') return v >= raise ? HIGH : v <= clear ? LOW : NONE;
  return v <= raise ? HIGH : v >= clear ? LOW : NONE;
}

export const threshold: ConditionImpl<Threshold, null> = {
  init: () => null,
  step(cond, _s, input) {
    const v = numericField(input, cond.field);
    return v === undefined ? NONE : compare(v, cond.op ?? 'gte', cond.raise, cond.clear);
  },
};

export const VERDICT = { HIGH, LOW, NONE } as const;
