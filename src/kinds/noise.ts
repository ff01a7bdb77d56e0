// Noise meters report LAeq over their interval and Lmax. Limits: GB 3096-2008 zone classes and
// GB 22337-2008 indoor limits in ./noise-limits.ts (re-exported here); impulses per
// shared/domain.md (lmax above the night limit + 15 dB, or lmax - laeq >= 15 dB).
import { Type } from '@sinclair/typebox';
import { NOISE_IMPULSE_DB } from './noise-limits.js';
import { noiseMeta } from './noise-meta.js';
import { defineKind } from './types.js';

export * from './noise-limits.js';

export default defineKind({
  ...noiseMeta, // name, label, report interval, headline field: noise-meta.ts
  measurement: 'noise',
  fields: {
    laeq: { ...noiseMeta.fields.laeq, schema: Type.Number({ minimum: 20, maximum: 140 }), required: true },
    lmax: { ...noiseMeta.fields.lmax, schema: Type.Number({ minimum: 20, maximum: 160 }) },
    interval_s: { ...noiseMeta.fields.interval_s, schema: Type.Integer({ minimum: 1, maximum: 86400 }) },
  },
  check: (v) => {
    const { laeq, lmax } = v;
    if (typeof lmax === 'number' && typeof laeq === 'number' && lmax < laeq) return ['lmax', lmax, `must be >= laeq (${laeq})`];
    return undefined;
  },
  defaultRules: [
    { id: 'noise-night', kind: 'noise', severity: 'warning', condition: { type: 'zoneLimit', field: 'laeq', margin: 0, indoor: false }, window: { from: '22:00', to: '06:00' }, for: '15m', minHold: '10m', title: { zh: '夜间噪声超标', en: 'Night noise above limit' } },
    { id: 'noise-day', kind: 'noise', severity: 'warning', condition: { type: 'zoneLimit', field: 'laeq', margin: 0, indoor: false }, window: { from: '06:00', to: '22:00' }, for: '15m', minHold: '10m', title: { zh: '昼间噪声超标', en: 'Day noise above limit' } },
    { id: 'noise-impulses', kind: 'noise', severity: 'warning', condition: { type: 'count', field: 'lmax', minus: 'laeq', gte: NOISE_IMPULSE_DB, min: 6, within: '1h' }, window: { from: '22:00', to: '06:00' }, title: { zh: '夜间频繁突发噪声', en: 'Repeated night impulses' } },
  ],
});
