// Pure: the hub and the peer measured in alternating rounds, summarised by the median of the
// per-round ratios. On a shared machine a slow minute hits one round of both systems rather than
// one system's only measurement, so a paired median moves less than one pair taken minutes apart.

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** a[i] / b[i] for each round both measured (b[i] > 0), in round order. */
export function pairedRatios(a: readonly (number | undefined)[], b: readonly (number | undefined)[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i], b[i]];
    if (x !== undefined && y !== undefined && y > 0) out.push(x / y);
  }
  return out;
}

/** The median of the paired ratios, or undefined when no round has both figures. */
export function pairedMedian(a: readonly (number | undefined)[], b: readonly (number | undefined)[]): number | undefined {
  const r = pairedRatios(a, b);
  return r.length > 0 ? median(r) : undefined;
}
