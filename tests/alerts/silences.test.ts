import { describe, expect, it } from 'vitest';
import type { Silence } from '../../src/core/alert-types.js';
import { findSilence, silenceMatches } from '../../src/alerts/silences.js';

const place = { device: 'd1', building: 'b1', grid: 'g1', community: 'c1', street: 's1' };
const s = (scope: Silence['scope'], from = 0, until = 1000): Silence => ({ id: 'x', scope, from, until, author: 'admin', createdAt: 0 });

describe('silences', () => {
  it('match by device, building or grid within [from, until)', () => {
    expect(silenceMatches(s({ device: 'd1' }), place, 0)).toBe(true);
    expect(silenceMatches(s({ building: 'b1' }), place, 999)).toBe(true);
    expect(silenceMatches(s({ grid: 'g1' }), place, 1000)).toBe(false);
    expect(silenceMatches(s({ grid: 'g2' }), place, 10)).toBe(false);
    expect(silenceMatches(s({ device: 'd2' }), place, 10)).toBe(false);
    expect(silenceMatches(s({ device: 'd1' }, 100), place, 50)).toBe(false);
  });
  it('an empty scope mutes nothing; several keys must all match', () => {
    expect(silenceMatches(s({}), place, 10)).toBe(false);
    expect(silenceMatches(s({ grid: 'g1', building: 'b2' }), place, 10)).toBe(false);
    expect(findSilence([s({ grid: 'g2' }), { ...s({ grid: 'g1' }), id: 'hit' }], place, 10)?.id).toBe('hit');
  });
});
