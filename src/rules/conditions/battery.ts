// Battery low: high below `raise` %, low at or above `clear` % (hysteresis).
import type { Condition } from '../../core/rule-spec.js';
import type { ConditionImpl } from '../types.js';
import { VERDICT } from './threshold.js';

type Battery = Extract<Condition, { type: 'battery' }>;

export const battery: ConditionImpl<Battery, null> = {
  init: () => null,
  step(cond, _s, input) {
    if (input.type !== 'reading' || input.reading.battery === undefined) return VERDICT.NONE;
    const b = input.reading.battery;
    return b < cond.raise ? VERDICT.HIGH : b >= cond.clear ? VERDICT.LOW : VERDICT.NONE;
  },
};
