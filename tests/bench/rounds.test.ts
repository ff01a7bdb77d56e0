import { describe, expect, it } from 'vitest';
import { median, pairedMedian, pairedRatios } from '../../bench/rounds.js';

describe('bench rounds', () => {
  it('takes the middle value of an odd count and the mean of the two middle values of an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('pairs each round of one system with the same round of the other, not the best with the best', () => {
    // the hub's best round (120) ran in the peer's slow round (100): its ratio is 1.2, not 120/100 of the medians' order
    expect(pairedRatios([100, 120, 90], [80, 100, 100])).toEqual([1.25, 1.2, 0.9]);
    expect(pairedMedian([100, 120, 90], [80, 100, 100])).toBe(1.2);
  });

  it('skips rounds one system did not measure or measured as zero', () => {
    expect(pairedRatios([100, undefined, 90, 50], [50, 60, 0])).toEqual([2]);
    expect(pairedMedian([undefined], [1])).toBeUndefined();
  });
});
