// A fixed-width table for the terminal: each figure for the hub, bare aedes and the DIY peer
// (same run), the hub's ratio to each, and the target with pass/fail.
export interface Row {
  figure: string;
  hub: string;
  bare: string;
  vsBare: string;
  peer: string;
  vsPeer: string;
  target: string;
  pass: string;
}

const HEAD: Row = { figure: 'figure', hub: 'gridwatch', bare: 'bare aedes', vsBare: 'hub/aedes', peer: 'DIY peer', vsPeer: 'hub/peer', target: 'target', pass: 'pass' };

export function formatTable(rows: Row[]): string {
  const all = [HEAD, ...rows];
  const keys = Object.keys(HEAD) as (keyof Row)[];
  const width = (k: keyof Row): number => Math.max(...all.map((r) => r[k].length));
  const widths = keys.map(width);
  const fmt = (r: Row): string => keys.map((k, i) => (i === 0 ? r[k].padEnd(widths[i] as number) : r[k].padStart(widths[i] as number))).join('  ');
  return [fmt(HEAD), '-'.repeat(fmt(HEAD).length), ...rows.map(fmt)].join('\n');
}
