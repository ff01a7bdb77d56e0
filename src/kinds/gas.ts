// Combustible gas (methane, % LEL) with optional CO and valve state. Set points: shared/domain.md
// (GB/T 50493-2019, GB 15322.2-2019 practice; EN 50291 for CO).
import { Type } from '@sinclair/typebox';
import { gasMeta } from './gas-meta.js';
import { defineKind } from './types.js';

export default defineKind({
  ...gasMeta, // name, label, report interval, headline field: gas-meta.ts
  measurement: 'gas',
  fields: {
    lel: { ...gasMeta.fields.lel, schema: Type.Number({ minimum: 0, maximum: 100 }), required: true },
    co_ppm: { ...gasMeta.fields.co_ppm, schema: Type.Number({ minimum: 0, maximum: 2000 }) },
    valve: { ...gasMeta.fields.valve, schema: Type.Union([Type.Literal('open'), Type.Literal('closed')]) },
  },
  defaultRules: [
    { id: 'gas-warning', kind: 'gas', severity: 'warning', condition: { type: 'threshold', field: 'lel', op: 'gte', raise: 10, clear: 5 }, minHold: '60s', hazard: 'gas', title: { zh: '燃气浓度偏高', en: 'Gas level elevated' } },
    { id: 'gas-critical', kind: 'gas', severity: 'critical', condition: { type: 'threshold', field: 'lel', op: 'gte', raise: 25, clear: 10 }, minHold: '60s', actions: ['closeValve'], hazard: 'gas', title: { zh: '燃气泄漏', en: 'Gas leak' } },
    { id: 'co-warning', kind: 'gas', hazard: 'co', severity: 'warning', condition: { type: 'threshold', field: 'co_ppm', op: 'gte', raise: 50, clear: 30 }, for: '60m', title: { zh: '一氧化碳偏高', en: 'CO elevated' } },
    { id: 'co-critical', kind: 'gas', hazard: 'co', severity: 'critical', condition: { type: 'threshold', field: 'co_ppm', op: 'gte', raise: 100, clear: 50 }, for: '10m', title: { zh: '一氧化碳超标', en: 'CO high' } },
    { id: 'co-critical-instant', kind: 'gas', hazard: 'co', severity: 'critical', condition: { type: 'threshold', field: 'co_ppm', op: 'gte', raise: 300, clear: 50 }, title: { zh: '一氧化碳严重超标', en: 'CO very high' } },
  ],
});
