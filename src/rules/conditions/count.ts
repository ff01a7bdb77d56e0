// Count in a window: at least `min` readings with `field − minus ≥ gte` (or `field ≥ gte`)
// within `within`, e.g. ≥ 6 night impulses (lmax − laeq ≥ 15 dB) in an hour. Keeps only the last
// `min` matching timestamps, so the state stays bounded.
import type { Condition } from '../../core/rule-spec.js';
import { parseDuration } from '../../core/rule-spec.js';
import type { ConditionImpl } from '../types.js';
import { VERDICT, numericField } from './threshold.js';

type Count = Extract<Condition, { type: 'count' }>;

export interface CountState { hits: number[] }

const withinMs = new WeakMap<Count, number>();

export const count: ConditionImpl<Count, CountState> = {
  init: () => ({ hits: [] }),
  step(cond, s, input, t, _ctx, now) {
    let within = withinMs.get(cond);
    if (within === undefined) withinMs.set(cond, (within = parseDuration(cond.within)));
    if (input.type === 'reading') {
      const v = numericField(input, cond.field);
      if (v === undefined) return VERDICT.NONE;
      let x = v;
      if (cond.minus !== undefined) {
        const m = numericField(input, cond.minus);
        if (m === undefined) return VERDICT.NONE;
        x = v - m;
      }
      if (x >= cond.gte) {
        s.hits.push(t);
        if (s.hits.length > cond.min) s.hits.shift();
      }
    } else if (input.type !== 'tick') {
      return VERDICT.NONE;
    } else {
      t = now;
    }
    const oldest = s.hits[0];
    if (s.hits.length >= cond.min && oldest !== undefined && oldest > t - within) {
      return { verdict: 'high', wakeAt: oldest + within };
    }
    return VERDICT.LOW;
  },
};
