// A small live trend of one field of one device (uPlot): the last hour from the API, then every
// live reading appended.
import uPlot from 'uplot';
import { fmtTime } from '../logic/format.js';
import type { Lang } from '../i18n/lang.js';

export interface Trend { push(ts: number, v: number): void; destroy(): void }

export function trendChart(target: HTMLElement, label: string, points: [number, number][], lang: Lang, limit?: number): Trend {
  const xs: number[] = points.map((p) => p[0] / 1000);
  const ys: number[] = points.map((p) => p[1]);
  const width = (): number => Math.max(260, target.clientWidth);
  const data = (): uPlot.AlignedData => [xs, ys, xs.map(() => limit ?? null)];
  const plot = new uPlot({
    width: width(), height: 140,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Asia/Shanghai'),
    legend: { show: false }, padding: [8, 12, 0, 0],
    axes: [{ values: (_u, splits) => splits.map((s) => fmtTime(s * 1000, lang, false)) }, { size: 40 }],
    series: [{}, { label, stroke: '#dc2626', width: 2, points: { show: true, size: 4 } }, { label: 'limit', stroke: '#9ca3af', dash: [4, 4], width: 1 }],
  }, data(), target);
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 140 }));
  ro.observe(target);
  return {
    push(ts, v) {
      if (xs.length && ts / 1000 <= (xs[xs.length - 1] as number)) return;
      xs.push(ts / 1000);
      ys.push(v);
      plot.setData(data());
    },
    destroy() {
      ro.disconnect();
      plot.destroy();
    },
  };
}
