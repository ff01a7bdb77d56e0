// Gas detectors as people read them (labels, units, report interval). Pure data: see meta-types.ts.
import type { KindMeta } from './meta-types.js';

export const gasMeta = {
  name: 'gas',
  label: { zh: '燃气', en: 'Gas' },
  defaultIntervalS: 600,
  primaryField: 'lel',
  fields: {
    lel: { unit: '% LEL', label: { zh: '可燃气体浓度', en: 'methane' } },
    co_ppm: { unit: 'ppm', label: { zh: '一氧化碳', en: 'CO' } },
    valve: { label: { zh: '阀门', en: 'valve' } },
  },
} as const satisfies KindMeta;
