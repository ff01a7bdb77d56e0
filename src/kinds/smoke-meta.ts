// Smoke alarms as people read them (labels, units, report interval). Pure data: see meta-types.ts.
import type { KindMeta } from './meta-types.js';

export const smokeMeta = {
  name: 'smoke',
  label: { zh: '烟感', en: 'Smoke' },
  defaultIntervalS: 3600,
  primaryField: 'alarm',
  fields: {
    alarm: { label: { zh: '烟雾报警', en: 'smoke alarm' } },
    obscuration: { unit: '%/m', label: { zh: '减光率', en: 'obscuration' } },
    temp_c: { unit: '°C', label: { zh: '温度', en: 'temperature' } },
  },
} as const satisfies KindMeta;
