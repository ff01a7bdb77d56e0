// Boolean / string state: high while `field` equals the value, low when it reports anything else.
import type { Condition } from '../../core/rule-spec.js';
import type { ConditionImpl } from '../types.js';
import { VERDICT } from './threshold.js';

type State = Extract<Condition, { type: 'state' }>;

export const state: ConditionImpl<State, null> = {
  init: () => null,
  step(cond, _s, input) {
    if (input.type !== 'reading') return VERDICT.NONE;
    const v = input.reading.values[cond.field];
    if (v === undefined) return VERDICT.NONE;
    return v === cond.equals ? VERDICT.HIGH : VERDICT.LOW;
  },
};
