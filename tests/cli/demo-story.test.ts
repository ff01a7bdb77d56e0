// The demo tells its story before it happens: the gas-leak scenario's sensor, who receives it by
// the roster at that moment, and when the warning and critical levels arrive (a real run showed
// ~78 s and ~127 s after the simulator started).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gasLeakStory, loginLines, storyLines } from '../../src/cli/demo-story.js';
import { loadConfigFile } from '../../src/config/index.js';

const config = loadConfigFile(join(process.cwd(), 'examples', 'gridwatch.yaml'), { env: {} });

describe('demo story', () => {
  it('names the leaking sensor, its place, the on-duty receiver and the times of the warning and critical levels', () => {
    const tuesday10am = Date.parse('2026-11-24T10:00:00+08:00');
    const s = gasLeakStory(config, 'gridwatch', tuesday10am);
    expect(s).toMatchObject({ device: 'gas-lty8-0301', building: '8号楼', receivers: [{ id: 'chenjing', name: '陈静' }], leaders: [{ id: 'zhangwei' }] });
    expect(s?.warningS[0]).toBeLessThanOrEqual(78);
    expect(s?.warningS[1]).toBeGreaterThanOrEqual(78);
    expect(s?.criticalS[0]).toBeLessThanOrEqual(127);
    expect(s?.criticalS[1]).toBeGreaterThanOrEqual(127);
    // on a weekday night the roster has wufang on duty in that grid
    expect(gasLeakStory(config, 'gridwatch', Date.parse('2026-11-24T23:00:00+08:00'))?.receivers.map((r) => r.id)).toEqual(['wufang']);
    expect(storyLines(s as NonNullable<typeof s>).join('\n')).toContain('log in as chenjing');
  });

  it('lists each login with role and grids in words', () => {
    const lines = loginLines(config, [{ id: 'chenjing', password: 'pw' }, { id: 'lixiuying', password: 'pw' }]);
    expect(lines[0]).toMatch(/chenjing\s+pw\s+网格员.*陈静\s+龙天园第二网格/);
    expect(lines[1]).toContain('全街道');
  });
});
