// Water leak sensors as people read them (labels, units, report interval). Pure data: see meta-types.ts.
import type { KindMeta } from './meta-types.js';

export const waterMeta = {
  name: 'water',
  label: { zh: '水浸', en: 'Water leak' },
  defaultIntervalS: 7200,
  primaryField: 'leak',
  fields: {
    leak: { label: { zh: '漏水', en: 'leak' } },
    level_mm: { unit: 'mm', label: { zh: '水位', en: 'water level' } },
  },
} as const satisfies KindMeta;
