// No data: silent for factor × the device's report interval (at least minSilence), or offline by
// Last Will / disconnect beyond a grace period. Any accepted message clears it — even one that
// races the deadline (thingsboard #7909, shared/lessons.md). Uses the hub's receive time.
import type { Condition } from '../../core/rule-spec.js';
import { parseDuration } from '../../core/rule-spec.js';
import type { ConditionImpl, RuleContext } from '../types.js';
import { VERDICT } from './threshold.js';

type NoData = Extract<Condition, { type: 'noData' }>;

export interface NoDataState { lastSeen: number; offlineAt: number | undefined }

const parsed = new WeakMap<NoData, { minSilence: number; grace: number }>();

function durations(cond: NoData): { minSilence: number; grace: number } {
  let d = parsed.get(cond);
  if (!d) parsed.set(cond, (d = { minSilence: parseDuration(cond.minSilence), grace: parseDuration(cond.grace) }));
  return d;
}

export function silenceMs(cond: NoData, ctx: RuleContext): number {
  return Math.max((cond.factor ?? 3) * ctx.device.intervalS * 1000, durations(cond).minSilence);
}

export function noDataDeadline(cond: NoData, s: NoDataState, ctx: RuleContext): number {
  const silent = s.lastSeen + silenceMs(cond, ctx);
  return s.offlineAt === undefined ? silent : Math.min(silent, s.offlineAt + durations(cond).grace);
}

export const noData: ConditionImpl<NoData, NoDataState> = {
  init: (_c, _ctx, now) => ({ lastSeen: now, offlineAt: undefined }),
  step(cond, s, input, _t, ctx, now) {
    switch (input.type) {
      case 'reading':
      case 'event':
        if (now > s.lastSeen) s.lastSeen = now;
        s.offlineAt = undefined;
        return { verdict: 'low', wakeAt: noDataDeadline(cond, s, ctx) };
      case 'presence':
        // a connect only cancels the LWT grace: a connected but silent device still goes offline
        if (input.event.online) s.offlineAt = undefined;
        else if (s.offlineAt === undefined) s.offlineAt = now;
        return { verdict: 'none', wakeAt: noDataDeadline(cond, s, ctx) };
      case 'tick': {
        const deadline = noDataDeadline(cond, s, ctx);
        return now >= deadline ? VERDICT.HIGH : { verdict: 'none', wakeAt: deadline };
      }
    }
  },
};
