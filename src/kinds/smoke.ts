// Smoke alarms: the alarm decides (GB 20517); obscuration >= 4.5 %/m without alarm is a warning.
import { Type } from '@sinclair/typebox';
import { defineKind } from './types.js';

export default defineKind({
  name: 'smoke',
  label: { zh: '烟感', en: 'Smoke' },
  defaultIntervalS: 3600,
  measurement: 'smoke',
  primaryField: 'alarm',
  fields: {
    alarm: { schema: Type.Boolean(), required: true, label: { zh: '报警', en: 'Alarm' } },
    obscuration: { schema: Type.Number({ minimum: 0, maximum: 30 }), unit: '%/m', label: { zh: '减光率', en: 'Obscuration' } },
    temp_c: { schema: Type.Number({ minimum: -40, maximum: 125 }), unit: '°C', label: { zh: '温度', en: 'Temperature' } },
  },
  defaultRules: [
    { id: 'smoke-alarm', kind: 'smoke', hazard: 'smoke', severity: 'critical', condition: { type: 'state', field: 'alarm', equals: true }, minHold: '30s', title: { zh: '烟雾报警', en: 'Smoke alarm' } },
    { id: 'smoke-obscuration', kind: 'smoke', hazard: 'smoke', severity: 'warning', condition: { type: 'threshold', field: 'obscuration', op: 'gte', raise: 4.5, clear: 2 }, title: { zh: '烟雾浓度偏高', en: 'Smoke building up' } },
  ],
});
