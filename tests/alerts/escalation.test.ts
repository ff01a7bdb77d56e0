import { describe, expect, it } from 'vitest';
import { type EscalationStep, nextEscalation, planEscalation } from '../../src/alerts/escalation.js';

const critical: EscalationStep[] = [{ to: 'grid_worker', after: '0s' }, { to: 'grid_leader', after: '2m' }, { to: 'street_duty', after: '5m' }];
const base = { state: 'open' as const, openedAt: 1_000_000, escalationStep: -1 };

describe('nextEscalation', () => {
  it('the first step is due at once, the next at 2 and 5 minutes after opening', () => {
    expect(nextEscalation(base, critical, 1_000_000)).toEqual({ due: [0], nextAt: 1_120_000 });
    expect(nextEscalation({ ...base, escalationStep: 0 }, critical, 1_119_999)).toEqual({ due: [], nextAt: 1_120_000 });
    expect(nextEscalation({ ...base, escalationStep: 0 }, critical, 1_120_000)).toEqual({ due: [1], nextAt: 1_300_000 });
    expect(nextEscalation({ ...base, escalationStep: 1 }, critical, 1_300_000)).toEqual({ due: [2], nextAt: undefined });
    expect(nextEscalation({ ...base, escalationStep: 2 }, critical, 9_000_000)).toEqual({ due: [], nextAt: undefined });
  });
  it('a late look (e.g. after a restart) returns every missed step in order', () => {
    expect(nextEscalation(base, critical, 2_000_000).due).toEqual([0, 1, 2]);
  });
  it('an acknowledged, resolved or closed case never escalates', () => {
    for (const state of ['acknowledged', 'resolved', 'closed'] as const) {
      expect(nextEscalation({ ...base, state }, critical, 9_000_000)).toEqual({ due: [], nextAt: undefined });
    }
  });
  it('a re-opened case escalates from the re-open time', () => {
    expect(nextEscalation({ ...base, reopenedAt: 5_000_000, escalationStep: 0 }, critical, 5_000_000)).toEqual({ due: [], nextAt: 5_120_000 });
  });
  it('planEscalation lists the deadlines not yet reached', () => {
    expect(planEscalation({ openedAt: 0, escalationStep: 0 }, critical)).toEqual([{ step: 1, at: 120_000 }, { step: 2, at: 300_000 }]);
    expect(planEscalation({ openedAt: 0, escalationStep: -1 }, [{ to: 'grid_worker', after: '15m' }])).toEqual([{ step: 0, at: 900_000 }]);
  });
});
