import { describe, expect, it } from 'vitest';
import { buildReadingsQuery, everyMs } from '../../src/api/readings-query.js';

describe('buildReadingsQuery', () => {
  it('means numbers and takes the last of strings/booleans, per device and bucket', () => {
    const q = buildReadingsQuery({ kind: 'gas', devices: ['gas-1'], from: 1000, to: 2000, every: '1h' });
    expect(q).toContain('mean("lel") AS "lel"');
    expect(q).toContain('mean("battery") AS "battery"');
    expect(q).toContain('last("valve") AS "valve"');
    expect(q).toContain('FROM "gas" WHERE ("device" = \'gas-1\') AND time >= 1000ms AND time < 2000ms GROUP BY time(1h), "device" fill(none)');
  });
  it('noise: energy mean of LAeq via a subquery, max of Lmax', () => {
    const q = buildReadingsQuery({ kind: 'noise', devices: ['n1', 'n2'], from: 0, to: 10, every: '5m' });
    expect(q).toMatch(/^SELECT 10 \* log10\(mean\("e_laeq"\)\) AS "laeq", max\("lmax"\) AS "lmax"/);
    expect(q).toContain('pow(10, "laeq" / 10) AS "e_laeq"');
    expect(q).toContain('("device" = \'n1\' OR "device" = \'n2\')');
  });
  it('escapes quotes in device ids so they cannot break out of the string', () => {
    const q = buildReadingsQuery({ kind: 'water', devices: ["x' OR 1=1 --"], from: 0, to: 10, every: '1m' });
    expect(q).toContain("\"device\" = 'x\\' OR 1=1 --'");
  });
  it('everyMs', () => {
    expect(everyMs('90s')).toBe(90_000);
    expect(everyMs('2d')).toBe(172_800_000);
    expect(() => everyMs('1y')).toThrow();
  });
});
