import { describe, expect, it } from 'vitest';
import { InfluxDB } from 'influx';
import type { AlertChange } from '../../src/core/alert-types.js';
import type { Reading } from '../../src/core/domain.js';
import { alertPoint, FIELD_TYPES, influxSchemas, pointProblem, presencePoint, readingPoint } from '../../src/store/points.js';
import { BASE_TS, device, gasPoint } from './fixtures/points.js';

const PLACEMENT = { street: 'liulin', community: 'longtianyuan', grid: 'lty-1', building: 'lty-3' };

/** The line-protocol field pairs node-influx writes for a point with our schemas (no network). */
function linePairs(p: ReturnType<typeof readingPoint>): Record<string, string> {
  const influx = new InfluxDB({ database: 'db', schema: influxSchemas('db') });
  const parsed = influx.parsePoint({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: p.ts }, { precision: 'ms' });
  return Object.fromEntries(parsed.fieldsPairs);
}

describe('readingPoint', () => {
  it('takes tags from the device registry, never from the reading', () => {
    const reading: Reading = { device: 'spoofed', kind: 'gas', ts: BASE_TS, values: { lel: 3.5, street: 'evil' } };
    const p = readingPoint(reading, device('gas-1'));
    expect(p.measurement).toBe('gas');
    expect(p.tags).toEqual({ device: 'gas-1', ...PLACEMENT });
    expect(p.fields).toEqual({ lel: 3.5 });
    expect(p.ts).toBe(BASE_TS);
  });

  it('leaves out an empty placement tag (InfluxDB would drop it) and keeps the others, for presence too', () => {
    const d = { ...device('gas-2'), building: '' };
    const tags = { device: 'gas-2', street: 'liulin', community: 'longtianyuan', grid: 'lty-1' };
    expect(readingPoint({ device: 'gas-2', kind: 'gas', ts: BASE_TS, values: { lel: 1 } }, d).tags).toEqual(tags);
    expect(presencePoint({ device: 'gas-2', ts: BASE_TS, online: true, cause: 'connect' }, d).tags).toEqual(tags);
  });

  it('adds battery, rssi and seq and keeps only declared fields', () => {
    const reading: Reading = { device: 'n-1', kind: 'noise', ts: BASE_TS + 7, seq: 42, battery: 88, rssi: -71, values: { laeq: 55.2, lmax: 70, interval_s: 300, bogus: 1 } };
    const p = readingPoint(reading, device('n-1', 'noise'));
    expect(p).toEqual({ measurement: 'noise', tags: { device: 'n-1', ...PLACEMENT }, fields: { laeq: 55.2, lmax: 70, interval_s: 300, battery: 88, rssi: -71, seq: 42 }, ts: BASE_TS + 7 });
  });

  it('shares one frozen tag object per device, and a new one once the device moves', () => {
    const d = device('gas-2');
    const r: Reading = { device: 'gas-2', kind: 'gas', ts: BASE_TS, values: { lel: 1 } };
    const first = readingPoint(r, d).tags;
    expect(readingPoint(r, d).tags).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    for (const [field, moved] of [['building', 'lty-4'], ['grid', 'lty-2'], ['community', 'other'], ['street', 'other']] as const) {
      d[field] = moved;
      expect(readingPoint(r, d).tags[field], field).toBe(moved);
    }
  });

  it('leaves out optional common fields that are absent', () => {
    const p = readingPoint({ device: 'w', kind: 'water', ts: BASE_TS, values: { leak: true } }, device('w', 'water'));
    expect(p.fields).toEqual({ leak: true });
  });
});

describe('field types', () => {
  it('follow the kind field specs', () => {
    expect(FIELD_TYPES.gas).toMatchObject({ lel: 'float', co_ppm: 'float', valve: 'string', battery: 'float', rssi: 'float', seq: 'integer' });
    expect(FIELD_TYPES.noise).toMatchObject({ laeq: 'float', lmax: 'float', interval_s: 'integer' });
    expect(FIELD_TYPES.smoke).toMatchObject({ alarm: 'boolean', obscuration: 'float', temp_c: 'float' });
    expect(FIELD_TYPES.water).toMatchObject({ leak: 'boolean', level_mm: 'float' });
    expect(FIELD_TYPES.presence).toEqual({ online: 'boolean', cause: 'string' });
    expect(FIELD_TYPES.alert).toEqual({ state: 'string', action: 'string', case_id: 'string' });
  });

  it('write integers with the i suffix and floats without, whatever the value looks like', () => {
    const zero = linePairs(readingPoint({ device: 'g', kind: 'gas', ts: BASE_TS, seq: 5, values: { lel: 0 } }, device('g')));
    const frac = linePairs(readingPoint({ device: 'g', kind: 'gas', ts: BASE_TS, seq: 6, values: { lel: 12.5 } }, device('g')));
    expect(zero).toEqual({ lel: '0', seq: '5i' });
    expect(frac).toEqual({ lel: '12.5', seq: '6i' });
    const noise = linePairs(readingPoint({ device: 'n', kind: 'noise', ts: BASE_TS, values: { laeq: 60, interval_s: 300 } }, device('n', 'noise')));
    expect(noise).toEqual({ laeq: '60', interval_s: '300i' });
    const smoke = linePairs(readingPoint({ device: 's', kind: 'smoke', ts: BASE_TS, values: { alarm: false } }, device('s', 'smoke')));
    expect(smoke).toEqual({ alarm: 'F' });
  });
});

describe('presencePoint and alertPoint', () => {
  it('presence: online flag and cause, placement tags', () => {
    const p = presencePoint({ device: 'g', ts: BASE_TS, online: false, cause: 'lwt' }, device('g'));
    expect(p).toEqual({ measurement: 'presence', tags: { device: 'g', ...PLACEMENT }, fields: { online: false, cause: 'lwt' }, ts: BASE_TS });
  });

  it('alert: rule and severity tags, state/action/case_id fields at the ledger time', () => {
    const change: AlertChange = {
      case: { id: 'case-7', device: 'g', rule: 'gas-critical', kind: 'gas', severity: 'critical', state: 'acknowledged', title: { zh: '燃气泄漏', en: 'Gas leak' }, ...PLACEMENT, openedAt: BASE_TS, updatedAt: BASE_TS + 5, escalationStep: 0, trigger: {} },
      entry: { seq: 2, caseId: 'case-7', ts: BASE_TS + 5, actor: 'hantao', action: 'acknowledged' },
    };
    expect(alertPoint(change)).toEqual({
      measurement: 'alert',
      tags: { device: 'g', ...PLACEMENT, rule: 'gas-critical', severity: 'critical' },
      fields: { state: 'acknowledged', action: 'acknowledged', case_id: 'case-7' },
      ts: BASE_TS + 5,
    });
    expect(pointProblem(alertPoint(change))).toBeUndefined();
  });
});

describe('pointProblem', () => {
  it('checks a shared frozen tag object once as placement tags, never letting alert tags through on a reading', () => {
    const tags = Object.freeze({ device: 'gas-1', ...PLACEMENT, rule: 'gas.high' });
    const alert = { measurement: 'alert', tags, fields: { state: 'open', action: 'opened', case_id: 'c1' }, ts: BASE_TS };
    const gas = { measurement: 'gas', tags, fields: { lel: 1 }, ts: BASE_TS };
    expect(pointProblem(alert)).toBeUndefined();
    expect(pointProblem(gas)).toBe("tag 'rule' is not declared for measurement 'gas'");
    expect(pointProblem(gas)).toBe("tag 'rule' is not declared for measurement 'gas'");
    const good = readingPoint({ device: 'gas-1', kind: 'gas', ts: BASE_TS, values: { lel: 1 } }, device('gas-1'));
    expect(pointProblem(good)).toBeUndefined();
    expect(pointProblem({ ...good, fields: {} })).toBe('a point needs at least one field');
    expect(pointProblem({ ...good, tags: Object.freeze({ device: '' }) })).toBe("tag 'device' must be a non-empty string");
  });

  it('accepts points built by the helpers', () => {
    expect(pointProblem(gasPoint(3))).toBeUndefined();
    expect(pointProblem({ measurement: 'custom', tags: {}, fields: { x: 1.5, y: 'a' }, ts: BASE_TS })).toBeUndefined();
  });

  it.each([
    [{ ...gasPoint(1), fields: {} }, /at least one field/],
    [{ ...gasPoint(1), fields: { lel: 'high' } }, /field 'lel' value "high" is not float/],
    [{ ...gasPoint(1), fields: { lel: Number.NaN } }, /field 'lel'.*not float/],
    [{ ...gasPoint(1), fields: { seq: 1.5 } }, /field 'seq' value 1.5 is not integer/],
    [{ ...gasPoint(1), fields: { smell: 1 } }, /field 'smell' is not declared/],
    [{ ...gasPoint(1), tags: { device: 'g', floor: '3' } }, /tag 'floor' is not declared/],
    [{ ...gasPoint(1), tags: { device: '' } }, /tag 'device' must be a non-empty string/],
    [{ ...gasPoint(1), ts: -1 }, /ts -1/],
    [{ measurement: 'custom', tags: {}, fields: { x: Number.POSITIVE_INFINITY }, ts: BASE_TS }, /not finite/],
  ])('names the problem of a bad point (%#)', (point, message) => {
    expect(pointProblem(point)).toMatch(message);
  });
});
