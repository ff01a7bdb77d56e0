import { describe, expect, it } from 'vitest';
import { displayWidth, localStamp, toCsv, toTable } from '../../src/reports/format.js';
import { parseTimeParam } from '../../src/reports/handlers.js';

describe('report formats', () => {
  it('CSV quotes commas, quotes and newlines (RFC 4180) and leaves nulls empty', () => {
    expect(toCsv([{ a: 'x,y', b: 'say "hi"', c: null }, { a: 1, b: true, c: 'l1\nl2' }])).toBe('a,b,c\r\n"x,y","say ""hi""",\r\n1,true,"l1\nl2"\r\n');
  });
  it('tables align columns by display width, CJK counting two', () => {
    expect(displayWidth('3号楼')).toBe(5);
    expect(toTable([{ name: '3号楼', db: 45.1 }, { name: 'b12', db: 40 }])).toBe('name   db\n-----  ----\n3号楼  45.1\nb12    40\n');
    expect(toTable([])).toBe('(no rows)\n');
  });
  it('stamps times on the local wall clock', () => {
    expect(localStamp(Date.UTC(2026, 2, 5, 14, 5), 'Asia/Shanghai')).toBe('2026-03-05 22:05');
    expect(localStamp(null, 'Asia/Shanghai')).toBeNull();
  });
});

describe('parseTimeParam', () => {
  it('reads ms, ISO with an offset, and local dates / date-times in the config zone', () => {
    expect(parseTimeParam('from', '1767225600000', 'Asia/Shanghai')).toBe(1767225600000);
    expect(parseTimeParam('from', '2026-03-01T00:00:00Z', 'Asia/Shanghai')).toBe(Date.UTC(2026, 2, 1));
    expect(parseTimeParam('from', '2026-03-01', 'Asia/Shanghai')).toBe(Date.UTC(2026, 1, 28, 16));
    expect(parseTimeParam('from', '2026-03-01T08:30', 'Asia/Shanghai')).toBe(Date.UTC(2026, 3 - 1, 1, 0, 30));
  });
  it('names the field and value when it cannot', () => {
    expect(() => parseTimeParam('to', 'soon', 'UTC')).toThrow(/field 'to' value "soon" breaks rule/);
    expect(() => parseTimeParam('from', '2026-13-01', 'UTC')).toThrow(/field 'from'/);
    expect(() => parseTimeParam('from', undefined, 'UTC')).toThrow(/is required/);
  });
});
