// Device events (tamper, fault, ...): each one raises; the case is resolved by a person.
import type { Condition } from '../../core/rule-spec.js';
import type { CondResult, ConditionImpl } from '../types.js';
import { VERDICT } from './threshold.js';

type EventCond = Extract<Condition, { type: 'event' }>;

const PULSE: CondResult = { verdict: 'high', pulse: true };

export const event: ConditionImpl<EventCond, null> = {
  init: () => null,
  step(cond, _s, input) {
    return input.type === 'event' && input.event.type === cond.event ? PULSE : VERDICT.NONE;
  },
};
