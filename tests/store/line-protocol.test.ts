import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorePoint } from '../../src/core/domain.js';
import { encodeBatch, encodePoint, escapeKey, escapeMeasurement, quoteString } from '../../src/store/line-protocol.js';
import { presencePoint, readingPoint } from '../../src/store/points.js';
import { rows, startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { BASE_TS, device } from './fixtures/points.js';

describe('line protocol escaping', () => {
  it('escapes comma and space in measurements, comma, equals and space in keys and tag values', () => {
    expect(escapeMeasurement('a b,c=d')).toBe('a\\ b\\,c=d');
    expect(escapeKey('a b,c=d')).toBe('a\\ b\\,c\\=d');
    expect(escapeKey('网格 1')).toBe('网格\\ 1');
  });

  it('quotes strings, escaping double quotes and backslashes', () => {
    expect(quoteString('say "hi" \\o/')).toBe('"say \\"hi\\" \\\\o/"');
  });

  // the fields and time of a one-field point of measurement `m` (undeclared) or `gas` (declared)
  const fieldText = (measurement: string, name: string, value: StorePoint['fields'][string], ts = BASE_TS, ns?: number): string =>
    encodePoint({ measurement, tags: {}, fields: { [name]: value }, ts, ...(ns === undefined ? {} : { ns }) }).split(' ').slice(1).join(' ');

  it('writes integers with i, floats without, booleans as T/F, whatever the value looks like', () => {
    expect(fieldText('gas', 'seq', 5)).toBe(`seq=5i ${BASE_TS}000000`);
    expect(fieldText('gas', 'seq', -3)).toBe(`seq=-3i ${BASE_TS}000000`);
    expect(fieldText('gas', 'seq', 9_007_199_254_740_991)).toBe(`seq=9007199254740991i ${BASE_TS}000000`);
    expect(fieldText('gas', 'lel', 0)).toBe(`lel=0 ${BASE_TS}000000`);
    expect(fieldText('gas', 'lel', 12.5)).toBe(`lel=12.5 ${BASE_TS}000000`);
    expect(fieldText('m', 'v', 7)).toBe(`v=7 ${BASE_TS}000000`);
    expect(fieldText('m', 'v', true)).toBe(`v=T ${BASE_TS}000000`);
    expect(fieldText('m', 'v', false)).toBe(`v=F ${BASE_TS}000000`);
    expect(fieldText('m', 'v', 'x')).toBe(`v="x" ${BASE_TS}000000`);
  });

  it('writes every number with the same text as String() (the bytes are built without it)', () => {
    const floats = [0, -0, 1, -1, 9, 10, 99, 100, 12.5, -0.25, 0.1 + 0.2, 1e-7, 123456789.125, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e20, 1.5e21, -1.5e21, Number.MAX_VALUE, Number.MIN_VALUE];
    for (const v of floats) expect(fieldText('m', 'v', v)).toBe(`v=${String(v)} ${BASE_TS}000000`);
    for (const v of [0, 1, -1, 10, -10, 1234567890123, -(2 ** 53 - 1)]) expect(fieldText('gas', 'seq', v)).toBe(`seq=${String(v)}i ${BASE_TS}000000`);
  });

  it('writes strings quoted and escaped, UTF-8 for any text', () => {
    expect(fieldText('m', 's', 'a "b" \\c')).toBe(`s="a \\"b\\" \\\\c" ${BASE_TS}000000`);
    expect(fieldText('m', 's', '烟感 "1号"')).toBe(`s="烟感 \\"1号\\"" ${BASE_TS}000000`);
    expect(encodeBatch([{ measurement: 'm', tags: { d: '网格' }, fields: { s: '号 \\' }, ts: BASE_TS }]).equals(Buffer.from(`m,d=网格 s="号 \\\\" ${BASE_TS}000000\n`))).toBe(true);
  });

  it('timestamps: nanoseconds from the ms `ts` and the sub-ms `ns`', () => {
    expect(fieldText('m', 'v', 1, BASE_TS + 0.9)).toBe(`v=1 ${BASE_TS}000000`);
    expect(fieldText('m', 'v', 1, BASE_TS, 250)).toBe(`v=1 ${BASE_TS}000250`);
    expect(fieldText('m', 'v', 1, BASE_TS, 999_999)).toBe(`v=1 ${BASE_TS}999999`);
    expect(fieldText('m', 'v', 1, 1, 5)).toBe('v=1 1000005');
  });

  it('encodes a reading with sorted tags and typed fields from the kind spec', () => {
    const p = readingPoint({ device: 'g', kind: 'gas', ts: BASE_TS, seq: 5, battery: 80, values: { lel: 0 } }, device('g'));
    expect(encodePoint(p)).toBe(`gas,building=lty-3,community=longtianyuan,device=g,grid=lty-1,street=liulin lel=0,battery=80,seq=5i ${BASE_TS}000000`);
  });
});

describe('line protocol caches', () => {
  it('a device moved to another building is written with its new tags (the series key cache follows the registry)', () => {
    const d = device('gas-move');
    const before = encodePoint(readingPoint({ device: d.id, kind: 'gas', ts: BASE_TS, seq: 1, values: { lel: 1 } }, d));
    expect(before).toContain(',building=lty-3,');
    d.building = 'lty-9';
    const after = encodePoint(readingPoint({ device: d.id, kind: 'gas', ts: BASE_TS, seq: 2, values: { lel: 1 } }, d));
    expect(after).toContain(',building=lty-9,');
    const presence = encodePoint(presencePoint({ device: d.id, online: true, cause: 'connect', ts: BASE_TS }, d));
    expect(presence).toMatch(/^presence,building=lty-9,/);
  });

  it('unfrozen tag objects are encoded as they are at each call', () => {
    const p: StorePoint = { measurement: 'm', tags: { a: 'x' }, fields: { v: 1 }, ts: BASE_TS };
    expect(encodePoint(p)).toBe(`m,a=x v=1 ${BASE_TS}000000`);
    p.tags.a = 'y';
    expect(encodePoint(p)).toBe(`m,a=y v=1 ${BASE_TS}000000`);
  });
});

describe('line protocol against a real influxd', () => {
  let influx: TestInflux;
  beforeAll(async () => {
    influx = await startTestInflux();
    await influx.createDb('lp');
  });
  afterAll(async () => {
    await influx?.cleanup();
  });

  it('every escape rule round-trips: InfluxDB stores exactly the tags, field types and values we sent', async () => {
    const tricky: StorePoint = {
      measurement: 'odd meas,x',
      tags: { 'tag key': 'a,b=c d', device: '烟感 1号' },
      fields: { 'field=key': 'quote " and \\" back\\\\slash, = x\\', n: 1.5e21, i: -42, b: false, f: -0.25 },
      ts: BASE_TS + 7,
    };
    const presence = presencePoint({ device: 'd 1', online: true, cause: 'connect', ts: BASE_TS + 8 }, { ...device('d 1'), grid: 'g,1' });
    const res = await fetch(`${influx.url}/write?db=lp&precision=ns`, { method: 'POST', body: encodeBatch([tricky, presence]) });
    expect(res.status, await res.text()).toBe(204);

    const got = rows(await influx.query('SELECT * FROM "odd meas,x"', 'lp'));
    expect(got).toEqual([{ time: BASE_TS + 7, 'tag key': 'a,b=c d', device: '烟感 1号', 'field=key': 'quote " and \\" back\\\\slash, = x\\', n: 1.5e21, i: -42, b: false, f: -0.25 }]);
    const types = Object.fromEntries((await influx.query('SHOW FIELD KEYS FROM "odd meas,x"', 'lp'))[0]?.values ?? []);
    // `i` was sent as a float: an undeclared measurement has no integer fields
    expect(types).toEqual({ 'field=key': 'string', n: 'float', i: 'float', b: 'boolean', f: 'float' });

    const pres = rows(await influx.query('SELECT online, cause, device, grid FROM presence', 'lp'));
    expect(pres).toEqual([{ time: BASE_TS + 8, online: true, cause: 'connect', device: 'd 1', grid: 'g,1' }]);
    const seqType = await fetch(`${influx.url}/write?db=lp&precision=ns`, { method: 'POST', body: encodeBatch([readingPoint({ device: 'g', kind: 'gas', ts: BASE_TS, seq: 9, values: { lel: 3 } }, device('g'))]) });
    expect(seqType.status).toBe(204);
    expect(Object.fromEntries((await influx.query('SHOW FIELD KEYS FROM gas', 'lp'))[0]?.values ?? [])).toEqual({ lel: 'float', seq: 'integer' });
  });

  it('two readings of a device in the same millisecond, apart by `ns`, are two points', async () => {
    const a = readingPoint({ device: 'g2', kind: 'gas', ts: BASE_TS + 50, seq: 1, values: { lel: 1 } }, device('g2'));
    const b = readingPoint({ device: 'g2', kind: 'gas', ts: BASE_TS + 50, seq: 2, values: { lel: 2 } }, device('g2'), 500_001);
    const res = await fetch(`${influx.url}/write?db=lp&precision=ns`, { method: 'POST', body: encodeBatch([a, b]) });
    expect(res.status).toBe(204);
    expect(rows(await influx.query("SELECT seq FROM gas WHERE device = 'g2'", 'lp')).map((r) => r.seq)).toEqual([1, 2]);
  });
});
