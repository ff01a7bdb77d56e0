// A short fixed-width table for the terminal.
export interface Row {
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
}

export function formatTable(rows: Row[]): string {
  const head: Row = { figure: 'figure', value: 'gridwatch', baseline: 'baseline (same run)', ratio: 'ratio' };
  const all = [head, ...rows];
  const w = (k: keyof Row): number => Math.max(...all.map((r) => r[k].length));
  const fmt = (r: Row): string => `${r.figure.padEnd(w('figure'))}  ${r.value.padEnd(w('value'))}  ${r.baseline.padEnd(w('baseline'))}  ${r.ratio}`;
  return [fmt(head), '-'.repeat(fmt(head).length), ...rows.map(fmt)].join('\n');
}
