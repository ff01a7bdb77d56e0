// Smoke alarms: the alarm decides (GB 20517); obscuration >= 4.5 %/m without alarm is a warning.
import { Type } from '@sinclair/typebox';
import { smokeMeta } from './smoke-meta.js';
import { defineKind } from './types.js';

export default defineKind({
  ...smokeMeta, // name, label, report interval, headline field: smoke-meta.ts
  measurement: 'smoke',
  fields: {
    alarm: { ...smokeMeta.fields.alarm, schema: Type.Boolean(), required: true },
    obscuration: { ...smokeMeta.fields.obscuration, schema: Type.Number({ minimum: 0, maximum: 30 }) },
    temp_c: { ...smokeMeta.fields.temp_c, schema: Type.Number({ minimum: -40, maximum: 125 }) },
  },
  defaultRules: [
    { id: 'smoke-alarm', kind: 'smoke', hazard: 'smoke', severity: 'critical', condition: { type: 'state', field: 'alarm', equals: true }, minHold: '30s', title: { zh: '烟雾报警', en: 'Smoke alarm' } },
    { id: 'smoke-obscuration', kind: 'smoke', hazard: 'smoke', severity: 'warning', condition: { type: 'threshold', field: 'obscuration', op: 'gte', raise: 4.5, clear: 2 }, title: { zh: '烟雾浓度偏高', en: 'Smoke building up' } },
  ],
});
