// `npm run bench [-- --quick] [--skip-cluster] [--devices N] [--per-device M] [--window W] [--generators G] [--idle N] [--reconnect N] [--rules-off] [--profile] [--rounds N] [--only throughput,alarms,storms,peer,uptime,cluster]`
// Measures the hub, not its load generator: pre-encoded MQTT packets from separate generator
// processes (generator-child.ts) over raw sockets. Every figure is printed next to the same
// figure for a bare aedes broker and for the do-it-yourself peer (mosquitto + one subscriber
// writing to InfluxDB), measured in the same run, with the issue's target and pass/fail. Throughput
// runs in alternating rounds (hub, peer, hub, peer, ...): a hub/peer ratio is the median of the
// per-round ratios.
// Results: bench/results/<timestamp>.json.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startInfluxd } from '../src/store/influxd.js';
import { login, openLive } from './alerts.js';
import { startBareAedes } from './baseline.js';
import { makeFixture, rulesOffConfig, writeConfig, type BenchDevice } from './fixture.js';
import { split, startGenerators, type Generators } from './generator.js';
import { buildHub, startHubProcess } from './hub-process.js';
import { closeValves, connectValves, measureAlarms, type AlarmLatency } from './latency.js';
import { startPeer, type Peer } from './mosquitto.js';
import { cpuMicros, cpuOf, fdHardLimit, listenOverflows, rssBytes } from './proc.js';
import { formatSelfTime, monotonicUs, topSelfTime, type CpuProfile, type Window } from './profile.js';
import { median, pairedMedian, pairedRatios } from './rounds.js';
import { formatTable, type Row } from './table.js';
import { uptimeBench } from './uptime.js';
import { clusterBench, type ClusterBench } from './cluster.js';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    devices: { type: 'string' },
    'per-device': { type: 'string' },
    window: { type: 'string' },
    generators: { type: 'string' },
    idle: { type: 'string' },
    reconnect: { type: 'string' },
    samples: { type: 'string' },
    'rules-off': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'skip-cluster': { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
  },
});
const PARTS = ['throughput', 'alarms', 'storms', 'peer', 'uptime', 'cluster'] as const;
type Part = (typeof PARTS)[number];
const onlyParts = flags.only?.split(',').map((s) => s.trim());
for (const p of onlyParts ?? []) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--only: unknown part "${p}" (parts: ${PARTS.join(', ')})`);
/** `--only a,b` runs just those parts (a quick look at one figure); the table shows '-' for the rest */
const runs = (part: Part): boolean => (onlyParts ? onlyParts.includes(part) : part !== 'cluster' || !flags['skip-cluster']);
const quick = flags.quick ?? false;
const DEVICES = Number(flags.devices ?? 50);
const PER_DEVICE = Number(flags['per-device'] ?? (quick ? 200 : 2_000));
const WINDOW = Number(flags.window ?? 100);
const GENERATORS = Number(flags.generators ?? 2);
// every connection is a file descriptor of the broker's process: stay under the hard limit
const FD_ROOM = fdHardLimit() - 300;
const IDLE_TARGET = Number(flags.idle ?? (quick ? 2_000 : 20_000));
const IDLE = Math.min(IDLE_TARGET, FD_ROOM);
const RECONNECT = Math.min(Number(flags.reconnect ?? (quick ? 1_000 : 10_000)), IDLE);
const SAMPLES = Number(flags.samples ?? (quick ? 10 : 50));
// throughput rounds, each the hub's QoS 0 and 1 then the peer's: paired, so a noisy minute hits both
const ROUNDS = Math.max(1, Number(flags.rounds ?? (quick ? 1 : 3)));
const CONNECT_CONCURRENCY = 500;
const WARMUP = 3; // untimed alarms first: the first case pays for cold code paths and statements // handshakes in flight per generator
const ROOT = resolve(import.meta.dirname, '..');
const DB = 'bench';
// the hub's warnings and errors (level warn), kept next to the results
const HUB_LOG = join(ROOT, 'bench/results/hub.log');
// --profile: the hub runs with --cpu-prof; each phase below is a window of its samples
const PROFILE_DIR = flags.profile ? join(ROOT, 'bench/results', `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`) : undefined;
const phases: Window[] = [];
async function marked<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const fromUs = monotonicUs();
  try {
    return await fn();
  } finally {
    phases.push({ name, fromUs, toUs: monotonicUs() });
  }
}

interface Throughput {
  messages: number; e2eMs: number; perSecond: number; cpuUsPerReading: number; generatorCpuShare: number; publishMs: number;
  /** the InfluxDB server's CPU per reading in that phase (not in cpuUsPerReading: the issue counts the systems without it); 0 for bare aedes */
  influxdCpuUsPerReading: number;
}
interface Connections {
  firstConnectMs: number; reconnectMs: number;
  /** the hub only: dropped, the hub restarted on the same data dir, then all reconnect */
  restartReconnectMs?: number;
  /** connections refused or reset before CONNACK and tried again */ retries: { first: number; reconnect: number; restart?: number };
  /** per storm: the broker's CPU time (a storm the broker cannot keep busy waits on something) and the box's listen-queue overflows (SYNs or ACKs dropped: the client retries after 1 s+) */
  storms: Record<'first' | 'reconnect' | 'restart', { cpuMs: number; listenOverflows: number } | undefined>; idle: number; rssMB: number; rssBeforeMB: number; /** scaled linearly to IDLE_TARGET when the fd limit kept IDLE below it */ rssMBAtTarget: number }
interface Round { qos0?: Throughput; qos1?: Throughput }
/** qos0/qos1: the round with the median throughput (what the table shows); rounds: every round, in order */
interface System extends Round { rounds?: Round[]; connections?: Connections; latency?: Record<string, AlarmLatency> }

/** The measured round whose readings/s is the median (the lower middle one for an even count). */
function medianRound(xs: (Throughput | undefined)[]): Throughput | undefined {
  const s = xs.filter((x): x is Throughput => x !== undefined).sort((a, b) => a.perSecond - b.perSecond);
  return s[(s.length - 1) >> 1];
}
function summarise(sys: System): void {
  if (!sys.rounds) return;
  for (const qos of [0, 1] as const) {
    const m = medianRound(sys.rounds.map((r) => r[`qos${qos}`]));
    if (m) sys[`qos${qos}`] = m;
  }
}

let seqRun = 0;
const T0 = Date.now();
const phase = (what: string): void => console.error(`bench: ${what} (${Math.round((Date.now() - T0) / 1000)} s)`);

/** Publishes PER_DEVICE readings per load device at `qos`; done when `count()` reaches the total. */
async function throughput(gen: Generators, qos: 0 | 1, pids: number[], count: () => Promise<number>, influxdPid = 0): Promise<Throughput> {
  const seqBase = ++seqRun * 10_000_000;
  await gen.all(() => ({ op: 'prepare', qos, perDevice: PER_DEVICE, seqBase }));
  const before = await count();
  const total = PER_DEVICE * DEVICES;
  const cpu0 = cpuOf(pids);
  const gcpu0 = cpuOf(gen.pids);
  const icpu0 = influxdPid ? cpuMicros(influxdPid) : 0;
  const t0 = performance.now();
  const go = gen.all<{ ms: number }>(() => ({ op: 'go', window: WINDOW }));
  const end = await waitForCount(count, before + total, 300_000);
  const published = await go;
  const ms = end - t0;
  const cpu = cpuOf(pids) - cpu0;
  const gcpu = cpuOf(gen.pids) - gcpu0;
  const icpu = influxdPid ? cpuMicros(influxdPid) - icpu0 : 0;
  return {
    messages: total, e2eMs: Math.round(ms), perSecond: Math.round((total / ms) * 1000),
    cpuUsPerReading: +(cpu / total).toFixed(1), generatorCpuShare: +(gcpu / 1000 / ms).toFixed(2),
    publishMs: Math.round(Math.max(...published.map((p) => p.ms))),
    influxdCpuUsPerReading: +(icpu / total).toFixed(1),
  };
}

async function waitForCount(count: () => Promise<number>, target: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await count();
    if (n >= target) return performance.now();
    if (Date.now() > deadline) throw new Error(`only ${n} of ${target} arrived within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

/** Readings stored in InfluxDB (the four kind measurements) since `sinceMs`. */
function influxCounter(url: string, db: string, sinceMs: number): () => Promise<number> {
  return async () => {
    const params = new URLSearchParams({ db, q: `SELECT count(seq) FROM gas, noise, water, smoke WHERE time >= ${sinceMs}ms` });
    const res = await fetch(`${url}/query`, { method: 'POST', body: params });
    const body = (await res.json()) as { results?: { series?: { values: unknown[][] }[] }[] };
    let n = 0;
    for (const s of body.results?.[0]?.series ?? []) n += Number(s.values[0]?.[1] ?? 0);
    return n;
  };
}

/**
 * RECONNECT devices connect (timed), drop without DISCONNECT and reconnect (timed); with `restart`,
 * they drop again, the broker restarts (the hub on the same data dir) and they reconnect (timed);
 * then up to IDLE connections and the broker's RSS.
 */
async function connections(gen: Generators, port: number, pid: number, idle: BenchDevice[], mark = <T>(_name: string, fn: () => Promise<T>): Promise<T> => fn(), restart?: () => Promise<number>): Promise<Connections> {
  const first = split(idle.slice(0, RECONNECT), GENERATORS);
  const rest = split(idle.slice(RECONNECT, IDLE), GENERATORS);
  let rss0 = rssBytes(pid);
  const storms: Connections['storms'] = { first: undefined, reconnect: undefined, restart: undefined };
  const storm = async <T>(name: keyof Connections['storms'], fn: () => Promise<T>): Promise<T> => {
    const [cpu0, lo0] = [cpuMicros(pid), listenOverflows()];
    try {
      return await fn();
    } finally {
      storms[name] = { cpuMs: Math.round((cpuMicros(pid) - cpu0) / 1000), listenOverflows: listenOverflows() - lo0 };
    }
  };
  let t = performance.now();
  const r1 = await storm('first', () => mark('connect', () => gen.all<{ retries: number }>((i) => ({ op: 'idle', port, devices: first[i] ?? [], concurrency: CONNECT_CONCURRENCY }))));
  const firstConnectMs = performance.now() - t;
  await gen.all(() => ({ op: 'dropIdle' }));
  t = performance.now();
  const r2 = await storm('reconnect', () => mark('reconnect', () => gen.all<{ retries: number }>(() => ({ op: 'reconnectIdle', port, concurrency: CONNECT_CONCURRENCY }))));
  const reconnectMs = performance.now() - t;
  const retries: Connections['retries'] = { first: r1.reduce((n, r) => n + r.retries, 0), reconnect: r2.reduce((n, r) => n + r.retries, 0) };
  let restartReconnectMs: number | undefined;
  if (restart) {
    await gen.all(() => ({ op: 'dropIdle' }));
    pid = await restart();
    rss0 = rssBytes(pid);
    t = performance.now();
    const r3 = await storm('restart', () => mark('reconnect after a restart', () => gen.all<{ retries: number }>(() => ({ op: 'reconnectIdle', port, concurrency: CONNECT_CONCURRENCY }))));
    restartReconnectMs = Math.round(performance.now() - t);
    retries.restart = r3.reduce((n, r) => n + r.retries, 0);
  }
  await gen.all((i) => ({ op: 'idle', port, devices: rest[i] ?? [], concurrency: CONNECT_CONCURRENCY, spread: true }));
  await new Promise((r) => setTimeout(r, 2_000)); // let the broker settle (presence writes, GC)
  const rss1 = rssBytes(pid);
  await gen.all(() => ({ op: 'closeIdle' }));
  const mb = (b: number): number => +(b / 2 ** 20).toFixed(1);
  return { firstConnectMs: Math.round(firstConnectMs), reconnectMs: Math.round(reconnectMs), restartReconnectMs, retries, storms, idle: IDLE, rssBeforeMB: mb(rss0), rssMB: mb(rss1), rssMBAtTarget: mb(rss0 + ((rss1 - rss0) * IDLE_TARGET) / IDLE) };
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(dirname(HUB_LOG), { recursive: true });
  writeFileSync(HUB_LOG, '');
  phase('building the hub (tsc -p tsconfig.build.json: the hub runs compiled, as `npm start` does)');
  buildHub();
  const work = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const influxd = await startInfluxd({ dir: join(work, 'influxdb') });
  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(), quick, devices: DEVICES, perDevice: PER_DEVICE, window: WINDOW, generators: GENERATORS,
    idle: IDLE, reconnect: RECONNECT, samples: SAMPLES, cpus: cpus().length, node: process.version, fdHardLimit: fdHardLimit(),
  };
  const bare: System = {};
  const hub: System = {};
  const peer: System = {};
  const gen = await startGenerators(GENERATORS);
  const peers = new Map<0 | 1, Peer>();
  try {
    const mqttPort = await freePort();
    const httpPort = await freePort();
    const fixture = makeFixture({ loadDevices: DEVICES, idleDevices: IDLE, alarmDevices: WARMUP + SAMPLES * 2, database: DB, mqttPort, httpPort, dataDir: join(work, 'hub') });
    const configFile = join(work, 'gridwatch.yaml');
    writeConfig(configFile, fixture.config);
    const load = split(fixture.load, GENERATORS);
    const kinds = Object.fromEntries(fixture.load.map((d) => [d.id, d.kind]));
    /**
     * The DIY peer's QoS 0 and QoS 1 phases: mosquitto + one subscriber writing to InfluxDB. One peer
     * per QoS, started at its first phase and kept running across rounds, as the hub process is: a
     * later round measures both systems warm, not a warm hub against a freshly started subscriber.
     */
    const peerRound = async (): Promise<Round> => {
      const round: Round = {};
      for (const qos of [0, 1] as const) {
        // one database for every phase, as the hub has: a later phase writes into a shard that
        // already holds the earlier phases' points for both systems (InfluxDB's cache snapshots and
        // compactions come with it), not into a fresh one for the peer only
        const db = 'peer';
        let p = peers.get(qos);
        if (!p) peers.set(qos, (p = await startPeer({ dir: work, writer: { influxUrl: influxd.url, db, kinds, qos } })));
        const port = p.port;
        await gen.all((i) => ({ op: 'connect', port, devices: load[i] ?? [], concurrency: 50 }));
        round[`qos${qos}`] = await throughput(gen, qos, [p.brokerPid, p.writerPid ?? 0], influxCounter(influxd.url, db, 0), influxd.child.pid);
        await gen.all(() => ({ op: 'closeLoad' }));
      }
      return round;
    };
    const closePeers = async (): Promise<void> => {
      for (const p of peers.values()) await p.close();
      peers.clear();
    };

    // --- bare aedes: an empty handler counting readings, in its own process ---
    phase('bare aedes');
    const b = await startBareAedes();
    try {
      if (runs('throughput')) {
        await gen.all((i) => ({ op: 'connect', port: b.port, devices: load[i] ?? [], concurrency: 50 }));
        for (const qos of [0, 1] as const) bare[`qos${qos}`] = await throughput(gen, qos, [b.pid], () => b.received());
        await gen.all(() => ({ op: 'closeLoad' }));
      }
      phase('bare aedes connections');
      if (runs('storms')) bare.connections = await connections(gen, b.port, b.pid, fixture.idle);
    } finally {
      await b.close();
    }

    // --- the hub, a child process (`gridwatch serve`) with every stage attached ---
    phase('gridwatch hub');
    if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
    // GW_BENCH_HUB_NODE_ARGS: extra node flags for the hub alone (e.g. a heap flag to try), never the peer's.
    const extraNodeArgs = process.env.GW_BENCH_HUB_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const nodeArgs = [...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []), ...extraNodeArgs];
    const hubOpts = { config: configFile, influxUrl: influxd.url, httpPort, mqttPort, logFile: HUB_LOG, nodeArgs };
    let h = await startHubProcess(hubOpts);
    try {
      const since = Date.now() - 600_000; // simulated device clocks are up to 2 min off
      await gen.all((i) => ({ op: 'connect', port: mqttPort, devices: load[i] ?? [], concurrency: 50 }));
      if (runs('throughput')) {
        hub.rounds = [];
        if (runs('peer')) peer.rounds = [];
        const hubRound = async (r: number): Promise<Round> => {
          phase(`throughput round ${r + 1} of ${ROUNDS}: gridwatch hub`);
          const round: Round = {};
          for (const qos of [0, 1] as const) round[`qos${qos}`] = await marked(`QoS ${qos}${ROUNDS > 1 ? `, round ${r + 1}` : ''}`, () => throughput(gen, qos, [h.pid], influxCounter(influxd.url, DB, since), influxd.child.pid));
          return round;
        };
        const peerRoundNow = async (r: number): Promise<Round> => {
          phase(`throughput round ${r + 1} of ${ROUNDS}: mosquitto peer`);
          await gen.all(() => ({ op: 'closeLoad' }));
          const round = await peerRound();
          await gen.all((i) => ({ op: 'connect', port: mqttPort, devices: load[i] ?? [], concurrency: 50 }));
          return round;
        };
        for (let r = 0; r < ROUNDS; r++) {
          // odd rounds run the peer first: neither system always follows the other's InfluxDB work
          // (cache snapshots, compactions) or always gets the box first
          if (peer.rounds && r % 2 === 1) peer.rounds.push(await peerRoundNow(r));
          hub.rounds.push(await hubRound(r));
          if (peer.rounds && r % 2 === 0) peer.rounds.push(await peerRoundNow(r));
        }
        summarise(hub);
        summarise(peer);
      }
      phase('alarm latency');
      if (runs('alarms')) {
        const socket = await openLive(httpPort, await login(httpPort, fixture.admin.id, fixture.admin.password));
        const valves = await connectValves(`mqtt://127.0.0.1:${mqttPort}`, fixture.alarm);
        try {
          await measureAlarms(valves.slice(0, WARMUP), socket);
          hub.latency = {};
          // without the throughput part there is no measured maximum: idle only
          const max = hub.qos1?.perSecond ?? 0;
          for (const [i, level] of (max > 0 ? [0, 0.5] : [0]).entries()) {
            const rate = Math.round(max * level);
            if (rate > 0) await gen.all(() => ({ op: 'rate', rate: rate / GENERATORS, seqBase: ++seqRun * 10_000_000 }));
            await new Promise((r) => setTimeout(r, 1_000)); // let the background load settle
            const m = await marked(`alarms at ${level * 100} % load`, () => measureAlarms(valves.slice(WARMUP + i * SAMPLES, WARMUP + (i + 1) * SAMPLES), socket));
            const bg = await gen.all<{ perSecond: number }>(() => ({ op: 'stop' }));
            hub.latency[`${level * 100}%`] = { ...m, backgroundPerSecond: bg.reduce((s, x) => s + x.perSecond, 0) };
          }
        } finally {
          socket.close();
          await closeValves(valves);
        }
      }
      await gen.all(() => ({ op: 'closeLoad' }));
      phase('hub connections');
      if (runs('storms')) hub.connections = await connections(gen, mqttPort, h.pid, fixture.idle, marked, async () => {
        await h.stop();
        h = await startHubProcess(hubOpts); // same config and data dir: what it verified before, it remembers
        return h.pid;
      });
    } finally {
      await h.stop();
    }
    if (PROFILE_DIR) printProfile(PROFILE_DIR);

    if (flags['rules-off']) {
      phase('gridwatch hub, rules off');
      const offHttp = await freePort();
      const offMqtt = await freePort();
      const offConfig = join(work, 'gridwatch-rules-off.yaml');
      writeConfig(offConfig, rulesOffConfig(fixture.config, { mqttPort: offMqtt, httpPort: offHttp, dataDir: join(work, 'hub-rules-off') }));
      const off = await startHubProcess({ config: offConfig, influxUrl: influxd.url, httpPort: offHttp });
      const offRes: System = {};
      try {
        const since = Date.now() - 600_000; // simulated device clocks are up to 2 min off
        await gen.all((i) => ({ op: 'connect', port: offMqtt, devices: load[i] ?? [], concurrency: 50 }));
        for (const qos of [0, 1] as const) offRes[`qos${qos}`] = await throughput(gen, qos, [off.pid], influxCounter(influxd.url, DB, since));
        await gen.all(() => ({ op: 'closeLoad' }));
      } finally {
        await off.stop();
      }
      results.hubRulesOff = offRes;
    }

    // --- the DIY peer: mosquitto + one subscriber script writing to InfluxDB ---
    if (runs('peer') && !peer.rounds) {
      phase('mosquitto peer');
      Object.assign(peer, await peerRound());
    }
    await closePeers();
    phase('mosquitto connections');
    if (runs('peer') && runs('storms')) {
      const pc = await startPeer({ dir: work });
      try {
        peer.connections = await connections(gen, pc.port, pc.brokerPid, fixture.idle);
      } finally {
        await pc.close();
      }
    }
  } finally {
    for (const p of peers.values()) await p.close();
    await gen.close();
    await influxd.stop();
    rmSync(work, { recursive: true, force: true });
  }
  results.bare = bare;
  results.hub = hub;
  results.peer = peer;

  const up = quick ? { devices: 200, days: 7, intervalS: 3600 } : { devices: 2000, days: 30, intervalS: 3600 };
  let audit: Audit | undefined;
  if (runs('uptime')) {
    phase('uptime audit');
    audit = await uptimeBench(up);
    results.uptimeAudit = { ...up, ...audit };
  }

  let cluster: ClusterBench | undefined;
  if (runs('cluster')) {
    cluster = await clusterBench({ devices: DEVICES, perDevice: quick ? 200 : 1_000, window: WINDOW, failoverDevices: 200, phase });
    results.cluster = cluster;
  }

  const rows = [...tableRows(bare, hub, peer, audit, up), ...(cluster ? clusterRows(cluster) : [])];
  results.finishedAt = new Date().toISOString();
  results.seconds = Math.round((Date.now() - started) / 1000);
  results.table = rows;
  const outDir = join(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatTable(rows));
  for (const line of roundLines(hub, peer)) console.log(line);
  for (const [name, sys] of [['gridwatch', hub], ['bare aedes', bare], ['mosquitto', peer]] as const) {
    const st = sys.connections?.storms;
    if (!st) continue;
    const part = (k: keyof typeof st, label: string): string => (st[k] ? `${label} ${st[k].cpuMs} ms CPU, ${st[k].listenOverflows} listen overflows` : '');
    console.log(`${name} storms (broker CPU; the box's listen-queue overflows): ${[part('first', 'first'), part('reconnect', 'reconnect'), part('restart', 'after restart')].filter(Boolean).join('; ')}`);
  }
  console.log(`\n${DEVICES} devices x ${PER_DEVICE} readings, ${GENERATORS} generator processes (window ${WINDOW}), ${IDLE} idle connections (fd hard limit ${fdHardLimit()}), ${SAMPLES} alarms per level; ${results.seconds} s`);
  console.log(`results: ${out}`);
}

/** The top self-time functions of the hub in each marked phase (the profile V8 wrote on exit). */
function printProfile(dir: string): void {
  // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main thread (one per hub process)
  const files = readdirSync(dir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  if (files.length === 0) return console.error(`no .cpuprofile in ${dir} (did the hub exit gracefully?)`);
  const profiles = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile);
  writeFileSync(join(dir, 'phases.json'), `${JSON.stringify(phases, null, 2)}\n`);
  for (const w of phases) {
    const profile = profiles.find((p) => p.startTime <= w.fromUs && p.endTime >= w.toUs);
    if (profile) console.log(`\n${formatSelfTime(w.name, topSelfTime(profile, 25, w))}`);
  }
  console.log(`\nprofiles: ${files.map((f) => join(dir, f)).join(', ')} (open in Chrome DevTools)`);
}

type Audit = Awaited<ReturnType<typeof uptimeBench>>;

function clusterRows(c: ClusterBench): Row[] {
  const row = (figure: string, hub: string): Row => ({ figure, hub, bare: '-', vsBare: '-', peer: '-', vsPeer: '-', target: '-', pass: '-' });
  return [
    row('cluster, QoS 1 readings/s: 2 hubs | 1 hub of the cluster | 1 single-mode hub (same devices, same run)', `${c.twoHubs.perSecond} | ${c.oneHub.perSecond} | ${c.single.perSecond}`),
    row('cluster: 2 hubs / 1 hub | 1 cluster hub / single mode', `${c.scaling.toFixed(2)}x | ${(c.oneHub.perSecond / c.single.perSecond).toFixed(2)}x`),
    row(`cluster failover: kill -9 of the leading hub, its ${c.failover.moved} of ${c.failover.devices} devices all CONNACKed again via HAProxy (device retry ${c.failover.retryMs} ms), ms`, `${c.failover.allBackMs}`),
    row('cluster rules leader hand-over after that kill -9 (lease row moved), ms', `${c.failover.leaderMs}`),
  ];
}

type Figure = 'perSecond' | 'cpuUsPerReading';
/** hub/peer: the median of the per-round ratios when both ran rounds, else the one pair. */
function vsPeer(hub: System, peer: System, qos: 0 | 1, k: Figure): number | undefined {
  const k0 = `qos${qos}` as const;
  if (hub.rounds && peer.rounds) return pairedMedian(hub.rounds.map((r) => r[k0]?.[k]), peer.rounds.map((r) => r[k0]?.[k]));
  const [h, p] = [hub[k0]?.[k], peer[k0]?.[k]];
  return h !== undefined && p !== undefined && p > 0 ? h / p : undefined;
}
const roundsNote = (hub: System, peer: System): string => (hub.rounds && peer.rounds && peer.rounds.length > 1 ? ` (median round; hub/peer: median of ${peer.rounds.length} paired ratios)` : '');

/** One line per paired figure: every round's hub/peer ratio, so the spread is on the page. */
function roundLines(hub: System, peer: System): string[] {
  if (!hub.rounds || !peer.rounds || peer.rounds.length < 2) return [];
  const lines: string[] = [];
  for (const qos of [1, 0] as const) {
    for (const [k, what] of [['perSecond', 'readings/s'], ['cpuUsPerReading', 'CPU per reading']] as const) {
      const rs = pairedRatios(hub.rounds.map((r) => r[`qos${qos}`]?.[k]), peer.rounds.map((r) => r[`qos${qos}`]?.[k]));
      const pairs = hub.rounds.map((r, i) => `${r[`qos${qos}`]?.[k] ?? '-'}/${peer.rounds?.[i]?.[`qos${qos}`]?.[k] ?? '-'}`);
      lines.push(`QoS ${qos} ${what}, hub/peer per round: ${rs.map((x) => `${x.toFixed(2)}x`).join(', ')} (median ${median(rs).toFixed(2)}x; ${pairs.join(', ')})`);
    }
  }
  return lines;
}

function tableRows(bare: System, hub: System, peer: System, audit: Audit | undefined, up: { devices: number; days: number }): Row[] {
  const rows: Row[] = [];
  const x = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}x` : '-');
  const judge = (ok: boolean | undefined): string => (ok === undefined ? '-' : ok ? 'PASS' : 'FAIL');
  for (const qos of [1, 0] as const) {
    const [hq, bq, pq] = [hub[`qos${qos}`], bare[`qos${qos}`], peer[`qos${qos}`]];
    const min = qos === 1 ? 1.2 : 0.7;
    const r = vsPeer(hub, peer, qos, 'perSecond');
    rows.push({
      figure: `QoS ${qos}: publish -> counted in InfluxDB, readings/s${roundsNote(hub, peer)}`, hub: `${hq?.perSecond ?? '-'}`,
      bare: `${bq?.perSecond ?? '-'}`, vsBare: x(hq?.perSecond, bq?.perSecond), peer: `${pq?.perSecond ?? '-'}`, vsPeer: r === undefined ? '-' : `${r.toFixed(2)}x`,
      target: `>= ${min}x peer`, pass: judge(r === undefined ? undefined : r >= min),
    });
  }
  for (const qos of [1, 0] as const) {
    const [hq, bq, pq] = [hub[`qos${qos}`], bare[`qos${qos}`], peer[`qos${qos}`]];
    const r = vsPeer(hub, peer, qos, 'cpuUsPerReading');
    rows.push({
      figure: `QoS ${qos}: CPU per reading, us (hub | aedes | mosquitto + subscriber)${roundsNote(hub, peer)}`, hub: `${hq?.cpuUsPerReading ?? '-'}`,
      bare: `${bq?.cpuUsPerReading ?? '-'}`, vsBare: x(hq?.cpuUsPerReading, bq?.cpuUsPerReading), peer: `${pq?.cpuUsPerReading ?? '-'}`, vsPeer: r === undefined ? '-' : `${r.toFixed(2)}x`,
      target: '<= 1.3x peer', pass: judge(r === undefined ? undefined : r <= 1.3),
    });
  }
  const lat = hub.latency ?? {};
  const latRow = (what: string, l: AlarmLatency | undefined, k: 'valve' | 'alert', max?: number): void => {
    for (const p of ['p50', 'p99'] as const) {
      const v = l?.[k][`${p}Ms`];
      rows.push({
        figure: `${what} ${p}, ms (n=${l?.[k].samples ?? 0}${l && l.backgroundPerSecond > 0 ? `, ${l.backgroundPerSecond}/s background` : ''})`,
        hub: `${v ?? '-'}`, bare: '-', vsBare: '-', peer: '-', vsPeer: '-',
        target: p === 'p99' && max !== undefined ? `<= ${max} ms` : '-', pass: p === 'p99' && max !== undefined && l ? judge(v === undefined || Number.isNaN(v) ? false : v <= max) : '-',
      });
    }
  };
  latRow('gas reading -> valve cmd, idle,', lat['0%'], 'valve', 15);
  latRow('gas reading -> valve cmd, 50 % load,', lat['50%'], 'valve', 50);
  latRow('gas reading -> socket.io alert, idle,', lat['0%'], 'alert', 20);
  latRow('gas reading -> socket.io alert, 50 % load,', lat['50%'], 'alert');
  const [hc, bc, pc] = [hub.connections, bare.connections, peer.connections];
  const ms = (c: Connections | undefined, k: 'first' | 'reconnect'): string => {
    if (!c) return '-';
    const v = k === 'first' ? c.firstConnectMs : c.reconnectMs;
    return c.retries[k] > 0 ? `${v} (${c.retries[k]} retried)` : `${v}`;
  };
  rows.push({
    figure: `${RECONNECT} devices connect for the first time (fresh broker; the hub verifies each by scrypt), ms`, hub: ms(hc, 'first'),
    bare: ms(bc, 'first'), vsBare: x(hc?.firstConnectMs, bc?.firstConnectMs), peer: ms(pc, 'first'), vsPeer: x(hc?.firstConnectMs, pc?.firstConnectMs),
    target: '-', pass: '-',
  });
  // a restarted aedes or mosquitto is a fresh broker: their first-connect figure is their restart figure
  const restarted = hc?.restartReconnectMs;
  rows.push({
    figure: `${RECONNECT} devices reconnect to a restarted broker (hub: same data dir), ms`, hub: restarted === undefined ? '-' : `${restarted}${hc?.retries.restart ? ` (${hc.retries.restart} retried)` : ''}`,
    bare: ms(bc, 'first'), vsBare: x(restarted, bc?.firstConnectMs), peer: ms(pc, 'first'), vsPeer: x(restarted, pc?.firstConnectMs),
    target: RECONNECT >= 10_000 ? '<= 5000 ms' : '-', pass: RECONNECT >= 10_000 ? judge(restarted === undefined ? undefined : restarted <= 5_000) : '-',
  });
  rows.push({
    figure: `${RECONNECT} devices drop and reconnect (all CONNACKed), ms`, hub: ms(hc, 'reconnect'),
    bare: ms(bc, 'reconnect'), vsBare: x(hc?.reconnectMs, bc?.reconnectMs), peer: ms(pc, 'reconnect'), vsPeer: x(hc?.reconnectMs, pc?.reconnectMs),
    target: RECONNECT >= 10_000 ? '<= 5000 ms' : '-', pass: RECONNECT >= 10_000 ? judge(hc ? hc.reconnectMs <= 5_000 : undefined) : '-',
  });
  const scaled = IDLE < IDLE_TARGET ? ` (measured at ${IDLE}: fd limit; scaled)` : '';
  rows.push({
    figure: `RSS at ${IDLE_TARGET} idle connections, MB${scaled}`, hub: `${hc?.rssMBAtTarget ?? '-'}`,
    bare: `${bc?.rssMBAtTarget ?? '-'}`, vsBare: x(hc?.rssMBAtTarget, bc?.rssMBAtTarget), peer: `${pc?.rssMBAtTarget ?? '-'}`, vsPeer: x(hc?.rssMBAtTarget, pc?.rssMBAtTarget),
    target: IDLE_TARGET >= 20_000 ? '<= 1024 MB' : '-', pass: IDLE_TARGET >= 20_000 ? judge(hc ? hc.rssMBAtTarget <= 1024 : undefined) : '-',
  });
  if (!audit) return rows;
  const label = `uptime audit, ${up.devices} devices x ${up.days} days`;
  const same = audit.recordsMismatches === undefined ? '' : audit.recordsMismatches === 0 ? '; every device same as raw' : `; ${audit.recordsMismatches} devices differ from raw`;
  rows.push({ figure: `${label}: raw readings (--source raw), ms`, hub: audit.rawMs.toFixed(0), bare: '-', vsBare: '-', peer: '-', vsPeer: '-', target: '-', pass: '-' });
  rows.push({ figure: `${label}: gaps (elapsed) source, ms`, hub: audit.gapsMs.toFixed(0), bare: '-', vsBare: '-', peer: '-', vsPeer: '-', target: '-', pass: '-' });
  rows.push({ figure: `${label}: 5-min downsampled copy, ms`, hub: audit.downsampledMs.toFixed(0), bare: '-', vsBare: '-', peer: '-', vsPeer: '-', target: '-', pass: '-' });
  rows.push({
    figure: `${label}: outage records${same}, ms`, hub: audit.recordsMs === undefined ? 'n/a' : audit.recordsMs.toFixed(0), bare: '-', vsBare: '-', peer: '-', vsPeer: '-',
    target: up.devices >= 2000 ? '<= 500 ms' : '-', pass: up.devices >= 2000 ? judge(audit.recordsMs === undefined ? undefined : audit.recordsMs <= 500) : '-',
  });
  return rows;
}

await main();
