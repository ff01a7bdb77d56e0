// Hourly night-noise chart (uPlot, bundled): LAeq and Lmax against the night and impulse limits.
import uPlot from 'uplot';
import type { Lang } from '../i18n/lang.js';
import { fmtTime } from '../logic/format.js';
import type { NoiseHour } from '../logic/noise.js';

export interface NoiseChartLabels { laeq: string; lmax: string; limit: string; impulse: string }

export function noiseChart(target: HTMLElement, hours: NoiseHour[], limit: number | undefined, labels: NoiseChartLabels, lang: Lang): () => void {
  const xs = hours.map((s) => s.hour / 1000);
  const flat = (v: number | undefined): (number | null)[] => hours.map(() => v ?? null);
  const data: uPlot.AlignedData = [
    xs,
    hours.map((s) => s.laeq),
    hours.map((s) => s.lmax),
    flat(limit),
    flat(limit === undefined ? undefined : limit + 15),
  ];
  const width = (): number => Math.max(280, target.clientWidth);
  const plot = new uPlot(
    {
      width: width(),
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Asia/Shanghai'),
      scales: { x: { time: true }, y: { range: [20, 110] } },
      // room for the last hour label; a plain legend (no hover values: the table has them)
      padding: [12, 28, 0, 0],
      legend: { live: false },
      // 24-hour Beijing time on the x axis (22:00 … 05:00), as on the table below
      axes: [{ values: (_u, splits) => splits.map((s) => fmtTime(s * 1000, lang, false)) }, { label: 'dB(A)' }],
      series: [
        {},
        { label: labels.laeq, stroke: '#1d4ed8', width: 2, points: { show: true } },
        { label: labels.lmax, stroke: '#9333ea', width: 1, dash: [4, 4], points: { show: true } },
        { label: labels.limit, stroke: '#dc2626', width: 2 },
        { label: labels.impulse, stroke: '#f97316', width: 1, dash: [8, 4] },
      ],
    },
    data,
    target,
  );
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 260 }));
  ro.observe(target);
  return () => {
    ro.disconnect();
    plot.destroy();
  };
}
