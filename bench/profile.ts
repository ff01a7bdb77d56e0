// `--profile`: where the hub spends its CPU, per bench phase. The hub child runs with
// `node --cpu-prof`; V8 stamps each sample on the monotonic clock that `process.hrtime` reads in
// every process of this machine, so the bench marks each phase with hrtime and the samples are
// cut into those windows. Pure: a parsed .cpuprofile in, the top self-time functions out.

/** The parts of V8's .cpuprofile format used here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  /** µs, monotonic */
  startTime: number;
  endTime: number;
  /** node id of each sample */
  samples: number[];
  /** µs since the previous sample (the first: since startTime) */
  timeDeltas: number[];
}

export interface SelfTime {
  /** `name (file:line)`; `(garbage collector)`, `(idle)`, `(program)` as V8 names them */
  fn: string;
  ms: number;
  /** share of the samples in the window, idle included */
  share: number;
}

/** A phase of the bench: [fromUs, toUs) on the monotonic clock. */
export interface Window {
  name: string;
  fromUs: number;
  toUs: number;
}

/** Microseconds on the clock V8's profiler stamps samples with. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

function label(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  // node_modules/aedes/lib/client.js, src/ingest/pipeline.ts: the part of the path that says whose
  const path = frame.url.replace(/^file:\/\//, '');
  const at = path.lastIndexOf('node_modules/');
  const short = at >= 0 ? path.slice(at + 'node_modules/'.length) : path.replace(/^.*?\/(src|bench)\//, '$1/');
  return `${name} (${short}:${frame.lineNumber + 1})`;
}

/** The `top` functions by self time among the samples inside `window` (all samples without one). */
export function topSelfTime(profile: CpuProfile, top: number, window?: Pick<Window, 'fromUs' | 'toUs'>): SelfTime[] {
  const labels = new Map(profile.nodes.map((n) => [n.id, label(n.callFrame)]));
  const byFn = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // a sample stands for the interval up to the next one
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (window && (t < window.fromUs || t >= window.toUs)) continue;
    const fn = labels.get(profile.samples[i] as number) ?? '(unknown)';
    byFn.set(fn, (byFn.get(fn) ?? 0) + dt);
    total += dt;
  }
  return [...byFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, us]) => ({ fn, ms: +(us / 1000).toFixed(1), share: total > 0 ? +(us / total).toFixed(3) : 0 }));
}

/** The table printed per phase: share of the window, ms, function. */
export function formatSelfTime(name: string, rows: SelfTime[]): string {
  const lines = rows.map((r) => `${(r.share * 100).toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(7)} ms  ${r.fn}`);
  return [`hub CPU profile, ${name}: top self time`, ...lines].join('\n');
}
