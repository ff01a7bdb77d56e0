import { describe, it, expect } from 'vitest';
import type { DeviceInfo, KindName } from '../../src/core/domain.js';
import { ValidationError } from '../../src/core/errors.js';
import { validateReadings, MAX_BATCH } from '../../src/ingest/validate.js';
import { KINDS } from '../../src/kinds/index.js';
import { pointProblem, readingPoint } from '../../src/store/points.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function device(kind: KindName): DeviceInfo {
  return { id: `${kind}-lty3-0101`, kind, street: 'liulin', community: 'longtianyuan', grid: 'lty-1', building: 'lty-3', intervalS: 60, secretHash: 'x', noiseZone: '1' };
}

const buf = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

function one(kind: KindName, payload: unknown, opts = {}) {
  return validateReadings(buf(payload), device(kind), NOW, opts);
}

function rejection(kind: KindName, payload: unknown, opts = {}): ValidationError {
  const r = one(kind, payload, opts);
  expect(r.accepted).toEqual([]);
  expect(r.rejected).toHaveLength(1);
  const err = r.rejected[0] as ValidationError;
  expect(err).toBeInstanceOf(ValidationError);
  return err;
}

describe('validateReadings: good payloads of every kind', () => {
  const good: [KindName, Record<string, unknown>, Record<string, unknown>][] = [
    ['smoke', { alarm: false, obscuration: 1.2, temp_c: 21.5 }, { alarm: false, obscuration: 1.2, temp_c: 21.5 }],
    ['smoke', { alarm: true }, { alarm: true }],
    ['gas', { lel: 12.5, co_ppm: 3, valve: 'open' }, { lel: 12.5, co_ppm: 3, valve: 'open' }],
    ['gas', { lel: 0 }, { lel: 0 }],
    ['noise', { laeq: 48.2, lmax: 61, interval_s: 60 }, { laeq: 48.2, lmax: 61, interval_s: 60 }],
    ['noise', { laeq: 55, lmax: 55 }, { laeq: 55, lmax: 55 }],
    ['water', { leak: true, level_mm: 3 }, { leak: true, level_mm: 3 }],
    ['water', { leak: false }, { leak: false }],
  ];
  for (const [kind, payload, values] of good) {
    it(`${kind} ${JSON.stringify(payload)} is accepted with ts defaulting to the receive time`, () => {
      const r = one(kind, payload);
      expect(r.rejected).toEqual([]);
      expect(r.accepted).toEqual([{ device: device(kind).id, kind, ts: NOW, values }]);
    });
  }

  it('keeps common fields ts, seq, battery, rssi out of values', () => {
    const r = one('gas', { lel: 3, ts: NOW - 5000, seq: 7, battery: 88, rssi: -71 });
    expect(r.accepted).toEqual([{ device: 'gas-lty3-0101', kind: 'gas', ts: NOW - 5000, seq: 7, battery: 88, rssi: -71, values: { lel: 3 } }]);
  });

  it('ignores and counts unknown fields', () => {
    const r = one('water', { leak: false, firmware: '1.2', foo: 1 });
    expect(r.accepted[0]?.values).toEqual({ leak: false });
    expect(r.unknownFields).toBe(2);
  });

  it('accepts a ts exactly 300 s ahead and boundary values', () => {
    expect(one('gas', { lel: 100, ts: NOW + 300_000, battery: 0, rssi: -140 }).accepted).toHaveLength(1);
    expect(one('gas', { lel: 1, battery: 100, rssi: 0, seq: 0 }).accepted).toHaveLength(1);
  });
});

describe('validateReadings: bad payloads name field, value and rule', () => {
  it('malformed JSON', () => {
    const e = rejection('gas', '{"lel": 1');
    expect(e.code).toBe('GW_ERR_PAYLOAD_JSON');
    expect(e.field).toBe('payload');
    expect(e.message).toContain("field 'payload'");
    expect(e.message).toContain('must be valid JSON');
  });

  it('not an object', () => {
    for (const p of ['42', '"hi"', 'null', 'true']) {
      const e = rejection('gas', p);
      expect(e.code).toBe('GW_ERR_PAYLOAD_SHAPE');
      expect(e.rule).toContain('JSON object');
    }
  });

  const fieldCases: [KindName, Record<string, unknown>, string, unknown, string][] = [
    ['gas', { lel: '12' }, 'lel', '12', 'must be number'],
    ['gas', { lel: 101 }, 'lel', 101, 'must be <= 100'],
    ['gas', { lel: -1 }, 'lel', -1, 'must be >= 0'],
    ['gas', { lel: 1, co_ppm: 2001 }, 'co_ppm', 2001, 'must be <= 2000'],
    ['gas', { lel: 1, valve: 'ajar' }, 'valve', 'ajar', 'must be one of "open" | "closed"'],
    ['gas', {}, 'lel', undefined, 'is required'],
    ['smoke', { alarm: 'yes' }, 'alarm', 'yes', 'must be boolean'],
    ['smoke', { alarm: false, obscuration: 31 }, 'obscuration', 31, 'must be <= 30'],
    ['smoke', { obscuration: 1 }, 'alarm', undefined, 'is required'],
    ['noise', { laeq: 19 }, 'laeq', 19, 'must be >= 20'],
    ['noise', { laeq: 141 }, 'laeq', 141, 'must be <= 140'],
    ['noise', { laeq: 50, interval_s: 1.5 }, 'interval_s', 1.5, 'must be integer'],
    ['water', { leak: 1 }, 'leak', 1, 'must be boolean'],
    ['water', { leak: true, level_mm: -2 }, 'level_mm', -2, 'must be >= 0'],
    ['water', { leak: true, battery: 101 }, 'battery', 101, 'must be <= 100'],
    ['water', { leak: true, battery: -1 }, 'battery', -1, 'must be >= 0'],
    ['water', { leak: true, rssi: 3 }, 'rssi', 3, 'must be <= 0'],
    ['water', { leak: true, rssi: -141 }, 'rssi', -141, 'must be >= -140'],
    ['water', { leak: true, seq: -1 }, 'seq', -1, 'must be >= 0'],
    ['water', { leak: true, seq: 1.5 }, 'seq', 1.5, 'must be integer'],
    ['water', { leak: true, ts: '2026-01-01' }, 'ts', '2026-01-01', 'must be integer'],
    ['water', { leak: true, ts: 1.5 }, 'ts', 1.5, 'must be integer'],
  ];
  for (const [kind, payload, field, value, rule] of fieldCases) {
    it(`${kind} ${JSON.stringify(payload)} -> ${field}: ${rule}`, () => {
      const e = rejection(kind, payload);
      expect(e.code).toBe('GW_ERR_PAYLOAD_FIELD');
      expect(e.field).toBe(field);
      expect(e.value).toEqual(value);
      expect(e.rule).toBe(rule);
      expect(e.message).toContain(`'${field}'`);
      expect(e.message).toContain(rule);
    });
  }

  it('noise lmax below laeq breaks the cross-field rule', () => {
    const e = rejection('noise', { laeq: 60, lmax: 55 });
    expect(e.code).toBe('GW_ERR_PAYLOAD_FIELD');
    expect(e.field).toBe('lmax');
    expect(e.value).toBe(55);
    expect(e.rule).toContain('>= laeq (60)');
  });

  it('ts more than 300 s in the future', () => {
    const e = rejection('gas', { lel: 1, ts: NOW + 300_001 });
    expect(e.code).toBe('GW_ERR_PAYLOAD_FUTURE_TS');
    expect(e.field).toBe('ts');
    expect(e.value).toBe(NOW + 300_001);
    expect(e.rule).toContain('300 s');
  });

  it('oversize payload is refused whole before parsing', () => {
    const e = rejection('gas', { lel: 1, pad: 'x'.repeat(2000) }, { maxBytes: 1024 });
    expect(e.code).toBe('GW_ERR_PAYLOAD_TOO_LARGE');
    expect(e.field).toBe('payload');
    expect(e.value).toBeGreaterThan(1024);
    expect(e.rule).toBe('size must be <= 1024 bytes');
  });

  it('a batch over 500 is refused whole', () => {
    const batch = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ lel: 1, seq: i }));
    const e = rejection('gas', batch);
    expect(e.code).toBe('GW_ERR_PAYLOAD_BATCH_SIZE');
    expect(e.value).toBe(501);
    expect(e.rule).toBe('a batch holds 1 to 500 readings');
  });

  it('an empty batch is refused: acknowledged with nothing stored, it would otherwise go unanswered', () => {
    const e = rejection('gas', []);
    expect(e.code).toBe('GW_ERR_PAYLOAD_BATCH_SIZE');
    expect(e.field).toBe('payload');
    expect(e.value).toBe(0);
  });
});

describe('validateReadings: batches', () => {
  it('accepts a batch of 500', () => {
    const batch = Array.from({ length: MAX_BATCH }, (_, i) => ({ laeq: 40 + (i % 50), seq: i, ts: NOW - (MAX_BATCH - i) * 1000 }));
    const r = one('noise', batch);
    expect(r.rejected).toEqual([]);
    expect(r.accepted).toHaveLength(500);
    expect(r.accepted[499]).toEqual({ device: 'noise-lty3-0101', kind: 'noise', ts: NOW - 1000, seq: 499, values: { laeq: 89 } });
  });

  it('rejects one bad element alone and keeps the good ones, naming its index', () => {
    const r = one('gas', [{ lel: 1, seq: 1 }, { lel: 'high', seq: 2 }, 7, { lel: 3, seq: 4, ts: NOW + 999_999 }, { lel: 5, seq: 5 }]);
    expect(r.accepted.map((a) => a.seq)).toEqual([1, 5]);
    expect(r.rejected.map((e) => [e.code, e.field])).toEqual([
      ['GW_ERR_PAYLOAD_FIELD', '[1].lel'],
      ['GW_ERR_PAYLOAD_SHAPE', '[2]'],
      ['GW_ERR_PAYLOAD_FUTURE_TS', '[3].ts'],
    ]);
  });

  it('an empty batch accepts nothing and is rejected whole', () => {
    const r = one('gas', []);
    expect(r.accepted).toEqual([]);
    expect(r.rejected.map((e) => e.code)).toEqual(['GW_ERR_PAYLOAD_BATCH_SIZE']);
  });
});

describe('validateReadings: only what the store keeps exactly', () => {
  it.each([
    ['{"lel":30,"seq":1e19}', 'seq'],
    ['{"lel":30,"seq":9007199254740993}', 'seq'],
    ['{"lel":30,"ts":0}', 'ts'],
    ['{"lel":30,"ts":1000}', 'ts'],
    [`{"lel":30,"ts":${Date.UTC(2019, 11, 31, 23, 59, 59)}}`, 'ts'],
    ['{"lel":1e400}', 'lel'],
  ])('%s is refused naming %s', (payload, field) => {
    const err = rejection('gas', payload);
    expect(err.field).toBe(field);
  });

  it('names the lower time bound in the rule', () => {
    expect(rejection('gas', '{"lel":1,"ts":1000}').rule).toContain('2020-01-01');
  });

  it('accepts the largest safe seq and a ts on the bound', () => {
    expect(one('gas', { lel: 1, seq: Number.MAX_SAFE_INTEGER, ts: Date.UTC(2020, 0, 1) }).accepted).toHaveLength(1);
  });
});

describe('validateReadings: content hashes', () => {
  const hashOf = (payload: unknown): string => one('gas', payload).hashes.join(',');

  it('the same reading hashes the same; any stored field, seq or ts changes it; unknown fields do not', () => {
    const base = { lel: 1, seq: 1, co_ppm: 3, valve: 'open' };
    expect(hashOf(base)).toBe(hashOf({ ...base }));
    expect(hashOf({ ...base, extra: 1 })).toBe(hashOf(base));
    for (const other of [{ ...base, lel: 30 }, { ...base, seq: 2 }, { ...base, valve: 'closed' }, { ...base, ts: NOW }, { ...base, battery: 50 }]) {
      expect(hashOf(other)).not.toBe(hashOf(base));
    }
  });

  it('marks which readings were stamped with the receive time', () => {
    expect(one('gas', [{ lel: 1 }, { lel: 2, ts: NOW - 5 }]).received).toEqual([true, false]);
  });
});

// The writer trusts batches of points built from validated readings (store/points.ts `vouch`):
// whatever validateReadings accepts must make a point pointProblem() passes, for every kind.
// Every field of a valid base reading is varied over values near and beyond every bound, alone
// and together with each `ts` and `seq` variant.
describe('validateReadings: what it accepts, the store can write', () => {
  const SAFE_PLUS = '9007199254740993'; // 2^53 + 1: parses to a number that is no longer a safe integer
  const values: unknown[] = [0, -1, 0.5, 1, 20, 30, 100, 101, 125, 140, 160, 2000, 2001, 10000, 10001, 86400, 86401, -140, -141, 1e300, -1e300, 1.5e-7, SAFE_PLUS, true, false, 'open', 'closed', 'x', '', null, [], {}];
  const tsValues: unknown[] = [undefined, Date.UTC(2020, 0, 1) - 1, Date.UTC(2020, 0, 1), NOW - 1, NOW + 300_000, NOW + 300_001, 1.5e12 + 0.5, 1e300, SAFE_PLUS];
  const seqValues: unknown[] = [undefined, 0, 1, -1, 2.5, Number.MAX_SAFE_INTEGER, 'seq', SAFE_PLUS];
  const base: Record<KindName, Record<string, unknown>> = { smoke: { alarm: false }, gas: { lel: 1 }, noise: { laeq: 50 }, water: { leak: false } };
  const literal = (v: unknown): string => (v === SAFE_PLUS ? SAFE_PLUS : JSON.stringify(v));
  const json = (o: Record<string, unknown>): string => `{${Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => `"${k}":${literal(v)}`).join(',')}}`;

  for (const kind of ['smoke', 'gas', 'noise', 'water'] as const) {
    it(`${kind}: every accepted reading becomes a writable point`, () => {
      let accepted = 0;
      for (const field of [...Object.keys(KINDS[kind].fields), 'battery', 'rssi']) {
        for (const v of values) {
          for (const ts of tsValues) {
            for (const seq of seqValues) {
              const r = validateReadings(Buffer.from(json({ ...base[kind], [field]: v, ts, seq })), device(kind), NOW);
              for (const reading of r.accepted) {
                accepted++;
                for (const ns of [0, 999_999]) expect(pointProblem(readingPoint(reading, device(kind), ns)), JSON.stringify(reading)).toBeUndefined();
              }
            }
          }
        }
      }
      expect(accepted).toBeGreaterThan(100); // the accepting side was exercised, not only refusals
    });
  }
});
