import { spawnSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';
import { GridwatchError } from '../../src/core/errors.js';
import { parseSimArgs } from '../../src/cli/sim.js';

function usageError(fn: () => unknown): GridwatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GridwatchError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

describe('gridwatch sim options', () => {
  it('accepts good options', () => {
    expect(parseSimArgs({ scenario: 'night-knocking', warp: '120', devices: '10', qos: '0', start: '2026-11-20T22:00:00+08:00', url: 'mqtt://127.0.0.1:1883' })).toEqual({
      scenario: 'night-knocking', warp: 120, devices: 10, qos: 0, start: Date.parse('2026-11-20T14:00:00Z'), url: 'mqtt://127.0.0.1:1883',
    });
    expect(parseSimArgs({ rate: '2500.5' })).toEqual({ scenario: 'steady', qos: 1, rate: 2500.5 });
  });

  it('rejects bad ones naming the option, the value and the rule', () => {
    const cases: [Parameters<typeof parseSimArgs>[0], string][] = [
      [{ scenario: 'earthquake' }, 'scenario'],
      [{ devices: '2.5' }, 'devices'],
      [{ rate: '-1' }, 'rate'],
      [{ warp: 'fast' }, 'warp'],
      [{ qos: '2' }, 'qos'],
      [{ start: 'yesterday' }, 'start'],
      [{ url: 'http://x' }, 'url'],
    ];
    for (const [args, field] of cases) {
      const e = usageError(() => parseSimArgs(args));
      expect(e.code).toBe('GW_ERR_CLI_USAGE');
      expect(e.message).toContain(`--${field}`);
      expect(e.message).toContain(JSON.stringify(Object.values(args)[0]));
      expect(e.details.rule).toBeTypeOf('string');
    }
  });

  it('the real command line exits 2 with the message and no stack', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', '--scenario', 'earthquake'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("GW_ERR_CLI_USAGE: option '--scenario' value \"earthquake\" breaks rule: one of steady, gas-leak");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
