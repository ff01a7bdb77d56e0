// Noise meters as people read them (labels, units, report interval). Pure data: see meta-types.ts.
import type { KindMeta } from './meta-types.js';

export const noiseMeta = {
  name: 'noise',
  label: { zh: '噪声', en: 'Noise' },
  defaultIntervalS: 60,
  primaryField: 'laeq',
  fields: {
    laeq: { unit: 'dB(A)', label: { zh: '等效声级', en: 'LAeq' } },
    lmax: { unit: 'dB(A)', label: { zh: '最大声级', en: 'Lmax' } },
    interval_s: { unit: 's', label: { zh: '统计时长', en: 'interval' } },
  },
} as const satisfies KindMeta;
