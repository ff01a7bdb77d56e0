// The condition registry: one line per condition type.
import type { Condition } from '../../core/rule-spec.js';
import type { ConditionImpl } from '../types.js';
import { battery } from './battery.js';
import { count } from './count.js';
import { event } from './event.js';
import { noData } from './no-data.js';
import { rate } from './rate.js';
import { state } from './state.js';
import { threshold } from './threshold.js';
import { zoneLimit } from './zone-limit.js';

type Registry = { [K in Condition['type']]: ConditionImpl<Extract<Condition, { type: K }>, never> };

const REGISTRY = { threshold, zoneLimit, state, rate, count, noData, battery, event } as const;
// compile-time check that every condition type has its module
const _complete: Record<keyof Registry, unknown> = REGISTRY;
void _complete;

/** The condition module for a condition, typed loosely at this one seam. */
export function conditionImpl(c: Condition): ConditionImpl<Condition, unknown> {
  return REGISTRY[c.type] as unknown as ConditionImpl<Condition, unknown>;
}
