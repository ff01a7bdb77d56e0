// Rate of change: (value now − oldest value within `over`) per minute; positive perMinute raises
// on a rise at least that fast, negative on a fall at least that fast.
import type { Condition } from '../../core/rule-spec.js';
import { parseDuration } from '../../core/rule-spec.js';
import type { ConditionImpl } from '../types.js';
import { VERDICT, numericField } from './threshold.js';

type Rate = Extract<Condition, { type: 'rate' }>;

const CAP = 32;

export interface RateState { ts: number[]; vs: number[] }

const overMs = new WeakMap<Rate, number>();

export const rate: ConditionImpl<Rate, RateState> = {
  init: () => ({ ts: [], vs: [] }),
  step(cond, s, input, t) {
    const v = numericField(input, cond.field);
    if (v === undefined) return VERDICT.NONE;
    let over = overMs.get(cond);
    if (over === undefined) overMs.set(cond, (over = parseDuration(cond.over)));
    const last = s.ts[s.ts.length - 1];
    if (last !== undefined && t <= last) return VERDICT.NONE; // out of order or repeated
    while (s.ts.length > 0 && ((s.ts[0] as number) < t - over || s.ts.length >= CAP)) {
      s.ts.shift();
      s.vs.shift();
    }
    const t0 = s.ts[0];
    const v0 = s.vs[0];
    s.ts.push(t);
    s.vs.push(v);
    if (t0 === undefined || v0 === undefined) return VERDICT.LOW; // nothing else in the window: no change
    const perMinute = ((v - v0) * 60_000) / (t - t0);
    const high = cond.perMinute >= 0 ? perMinute >= cond.perMinute : perMinute <= cond.perMinute;
    return high ? VERDICT.HIGH : VERDICT.LOW;
  },
};
