// Water leak: leak held 30 s -> warning; level >= 20 mm or still wet after 10 min -> critical.
import { Type } from '@sinclair/typebox';
import { waterMeta } from './water-meta.js';
import { defineKind } from './types.js';

export default defineKind({
  ...waterMeta, // name, label, report interval, headline field: water-meta.ts
  measurement: 'water',
  fields: {
    leak: { ...waterMeta.fields.leak, schema: Type.Boolean(), required: true },
    level_mm: { ...waterMeta.fields.level_mm, schema: Type.Number({ minimum: 0, maximum: 10000 }) },
  },
  defaultRules: [
    { id: 'water-leak', kind: 'water', severity: 'warning', condition: { type: 'state', field: 'leak', equals: true }, for: '30s', title: { zh: '漏水', en: 'Water leak' } },
    { id: 'water-leak-persisting', kind: 'water', severity: 'critical', condition: { type: 'state', field: 'leak', equals: true }, for: '10m', title: { zh: '持续漏水', en: 'Leak persisting' } },
    { id: 'water-level', kind: 'water', severity: 'critical', condition: { type: 'threshold', field: 'level_mm', op: 'gte', raise: 20, clear: 5 }, title: { zh: '积水', en: 'Standing water' } },
  ],
});
