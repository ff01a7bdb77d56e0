import { describe, expect, it } from 'vitest';
import { formatSelfTime, topSelfTime, type CpuProfile } from '../../bench/profile.js';

const frame = (functionName: string, url = '', lineNumber = 0): CpuProfile['nodes'][number]['callFrame'] => ({ functionName, url, lineNumber });

// samples at t = 2000, 3000, 4000, 5000, 6000 µs; each stands for the interval up to the next one
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
    { id: 2, callFrame: frame('readings', 'file:///work/gridwatch/src/ingest/pipeline.ts', 41) },
    { id: 3, callFrame: frame('nextBatch', 'file:///work/gridwatch/node_modules/aedes/lib/client.js', 65) },
    { id: 4, callFrame: frame('(garbage collector)') },
  ],
  startTime: 1000,
  endTime: 7000,
  samples: [2, 2, 3, 4, 2],
  timeDeltas: [1000, 1000, 1000, 1000, 1000],
};

describe('topSelfTime', () => {
  it('sums the self time of each function, names it by its file and line, largest first', () => {
    expect(topSelfTime(profile, 10)).toEqual([
      { fn: 'readings (src/ingest/pipeline.ts:42)', ms: 2, share: 0.5 },
      { fn: 'nextBatch (aedes/lib/client.js:66)', ms: 1, share: 0.25 },
      { fn: '(garbage collector)', ms: 1, share: 0.25 },
    ]);
  });

  it('counts only the samples inside the window, and at most `top` functions', () => {
    expect(topSelfTime(profile, 1, { fromUs: 4000, toUs: 6000 })).toEqual([{ fn: 'nextBatch (aedes/lib/client.js:66)', ms: 1, share: 0.5 }]);
    expect(topSelfTime(profile, 5, { fromUs: 8000, toUs: 9000 })).toEqual([]);
  });

  it('prints one line per function with its share of the window', () => {
    expect(formatSelfTime('QoS 1', [{ fn: 'readings', ms: 12.4, share: 0.25 }])).toBe('hub CPU profile, QoS 1: top self time\n 25.0 %       12 ms  readings');
  });
});
