// Cluster figures for `npm run bench` (also `node --import tsx bench/cluster.ts [--quick]`): on
// one machine, real redis-server, PostgreSQL, influxd and two `gridwatch serve` processes in
// cluster mode. Figures, all from the same run:
// - QoS 1 throughput, publish -> counted in InfluxDB: every load device on hub-a (one hub of the
//   cluster working) vs the devices split over hub-a and hub-b; the ratio is the scaling.
// - failover: devices connected through HAProxy, kill -9 of the hub holding some of them -> every
//   one of those CONNACKed again (through HAProxy, on the survivor).
// - leader hand-over: kill -9 of the rules leader -> the other hub leads.
// On a 2-core box the two hubs, Redis, PostgreSQL, InfluxDB and the generators share two cores:
// the scaling figure says what the cluster costs here more than what it buys on N machines.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { freePort } from '../src/store/influxd.js';
import { buildHub, COMPILED_HUB, startHubProcess } from './hub-process.js';
import type { KindName } from '../src/core/domain.js';
import type { MqttClient } from 'mqtt';
import { startTestCluster, type TestCluster } from '../tests/helpers/cluster.js';
import { startTestHaproxy } from '../tests/helpers/haproxy.js';
import { split, startGenerators, type Generators } from './generator.js';
import type { BenchDevice } from './fixture.js';

export interface ClusterThroughput { messages: number; ms: number; perSecond: number }
export interface ClusterBench {
  /** the same devices on one hub in single mode (no Redis, no PostgreSQL), same run */
  single: ClusterThroughput;
  oneHub: ClusterThroughput;
  twoHubs: ClusterThroughput;
  /** twoHubs / oneHub */
  scaling: number;
  /** kill -9 of the hub leading the rules, with devices connected through HAProxy (mqtt.js, retry every `retryMs`) */
  failover: { devices: number; moved: number; retryMs: number; allBackMs: number; leaderMs: number };
}

const KINDS: KindName[] = ['noise', 'gas', 'water', 'smoke'];

async function countStored(cluster: TestCluster, sinceMs: number, db = 'gridwatch'): Promise<number> {
  const series = await cluster.influx.query(`SELECT count(seq) FROM gas, noise, water, smoke WHERE time >= ${sinceMs}ms`, db).catch(() => []);
  return series.reduce((n, s) => n + Number(s.values[0]?.[1] ?? 0), 0);
}

let seqRun = 0;
async function throughput(gen: Generators, count: (sinceMs: number) => Promise<number>, ports: number[], devices: BenchDevice[][], perDevice: number, window: number): Promise<ClusterThroughput> {
  await gen.all((i) => ({ op: 'connect', port: ports[i % ports.length] ?? 0, devices: devices[i] ?? [], concurrency: 50 }));
  await gen.all(() => ({ op: 'prepare', qos: 1, perDevice, seqBase: ++seqRun * 10_000_000 }));
  const since = Date.now() - 600_000;
  const before = await count(since);
  const total = perDevice * devices.flat().length;
  const t0 = performance.now();
  const go = gen.all(() => ({ op: 'go', window }));
  const deadline = Date.now() + 300_000;
  for (;;) {
    const n = (await count(since)) - before;
    if (n >= total) break;
    if (Date.now() > deadline) throw new Error(`cluster bench: only ${n} of ${total} readings stored`);
    await new Promise((r) => setTimeout(r, 30));
  }
  const ms = performance.now() - t0;
  await go;
  await gen.all(() => ({ op: 'closeLoad' }));
  return { messages: total, ms: Math.round(ms), perSecond: Math.round((total / ms) * 1000) };
}

const RETRY_MS = 250;

/** Kills the rules leader's hub; times until each of its devices is CONNACKed again through HAProxy, and until the other hub leads. */
async function failoverOf(cluster: TestCluster, count: number): Promise<ClusterBench['failover']> {
  const haproxy = await startTestHaproxy(cluster.hubs.map((h) => ({ name: h.id, mqttPort: h.mqttPort, httpPort: h.httpPort })));
  const clients: MqttClient[] = [];
  try {
    const leader = async (): Promise<string | undefined> => (await cluster.postgres.query<{ holder: string }>("SELECT holder FROM gw_lease WHERE name = 'rules'"))[0]?.holder;
    let lead: string | undefined;
    for (const deadline = Date.now() + 60_000; !lead && Date.now() < deadline;) {
      lead = await leader();
      if (!lead) await new Promise((r) => setTimeout(r, 100));
    }
    const victim = cluster.hubs.find((h) => h.id === lead);
    if (!victim) throw new Error('cluster bench: no hub leads the rules');
    const ids = [...cluster.secrets.keys()].slice(0, count);
    const lastConnect = new Map<string, number>();
    for (const id of ids) {
      const c = await cluster.connect(id, haproxy.mqttPort, { reconnectPeriod: RETRY_MS, keepalive: 30 });
      c.on('connect', () => lastConnect.set(id, performance.now()));
      c.on('error', () => undefined);
      clients.push(c);
    }
    const onVictim: string[] = [];
    for (const [i, c] of clients.entries()) {
      const local = (c.stream as unknown as { localPort?: number }).localPort ?? 0;
      if ((await haproxy.serverOf(local)) === victim.id) onVictim.push(ids[i] as string);
    }
    const t0 = performance.now();
    victim.child.kill('SIGKILL');
    let leaderMs = -1;
    let allBackMs = -1;
    for (const deadline = Date.now() + 120_000; (leaderMs < 0 || allBackMs < 0) && Date.now() < deadline;) {
      if (leaderMs < 0) {
        const now = await leader();
        if (now && now !== victim.id) leaderMs = performance.now() - t0;
      }
      if (allBackMs < 0 && onVictim.every((id) => (lastConnect.get(id) ?? 0) > t0 && clients[ids.indexOf(id)]?.connected)) {
        allBackMs = Math.max(...onVictim.map((id) => (lastConnect.get(id) ?? t0) - t0));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return { devices: ids.length, moved: onVictim.length, retryMs: RETRY_MS, allBackMs: Math.round(allBackMs), leaderMs: Math.round(leaderMs) };
  } finally {
    for (const c of clients) c.end(true);
    await haproxy.cleanup();
  }
}

export async function clusterBench(opts: { devices: number; perDevice: number; window: number; failoverDevices?: number; phase?: (what: string) => void }): Promise<ClusterBench> {
  const phase = opts.phase ?? (() => undefined);
  const devices = Array.from({ length: Math.max(opts.devices, opts.failoverDevices ?? 200) }, (_, i) => ({ id: `load-${KINDS[i % 4] ?? 'gas'}-${i}`, kind: KINDS[i % 4] ?? 'gas', building: (i % 2 === 0 ? 'b1' : 'b2') as 'b1' | 'b2' }));
  phase('cluster: redis-server, PostgreSQL, influxd, two hubs');
  const cluster = await startTestCluster({
    devices,
    hubCommand: COMPILED_HUB,
    overrides: { mqtt: { port: 0, host: '127.0.0.1', ratePerSecond: 1_000_000, rateBurst: 1_000_000 } },
    ...(process.env.GW_BENCH_PROFILE ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.GW_BENCH_PROFILE}`] } : {}),
  });
  const gen = await startGenerators(2);
  try {
    const bench: BenchDevice[] = devices.slice(0, opts.devices).map((d) => ({ ...d, secret: cluster.secrets.get(d.id) ?? '' }));
    const halves = split(bench, 2);
    const [a, b] = cluster.hubs;
    phase('single mode: QoS 1, one hub without Redis or PostgreSQL');
    const singleDir = mkdtempSync(join(tmpdir(), 'gw-bench-single-'));
    const httpPort = await freePort();
    const raw = parse(readFileSync(cluster.configFile, 'utf8')) as Record<string, unknown>;
    const singleConfig = join(singleDir, 'gridwatch.yaml');
    const mqttPort = await freePort();
    writeFileSync(singleConfig, stringify({ ...raw, http: { port: httpPort, host: '127.0.0.1' }, mqtt: { ...(raw.mqtt as object), port: mqttPort }, dataDir: join(singleDir, 'data'), influx: { database: 'gridwatch_single' } }));
    const hub = await startHubProcess({ config: singleConfig, influxUrl: cluster.influx.url, httpPort });
    let single: ClusterThroughput;
    try {
      single = await throughput(gen, (since) => countStored(cluster, since, 'gridwatch_single'), [mqttPort], halves, opts.perDevice, opts.window);
    } finally {
      await hub.stop();
      rmSync(singleDir, { recursive: true, force: true });
    }
    phase('cluster: QoS 1, every device on one hub');
    const oneHub = await throughput(gen, (since) => countStored(cluster, since), [a?.mqttPort ?? 0], halves, opts.perDevice, opts.window);
    phase('cluster: QoS 1, devices split over two hubs');
    const twoHubs = await throughput(gen, (since) => countStored(cluster, since), [a?.mqttPort ?? 0, b?.mqttPort ?? 0], halves, opts.perDevice, opts.window);
    phase('cluster: kill -9 of the leading hub, devices through HAProxy');
    const failover = await failoverOf(cluster, opts.failoverDevices ?? 200);
    return { single, oneHub, twoHubs, scaling: +(twoHubs.perSecond / oneHub.perSecond).toFixed(2), failover };
  } finally {
    await gen.close();
    await cluster.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const t0 = Date.now();
  buildHub();
  const result = await clusterBench({
    devices: 50, perDevice: values.quick ? 200 : 2_000, window: 100,
    phase: (what) => console.error(`bench: ${what} (${Math.round((Date.now() - t0) / 1000)} s)`),
  });
  console.log(JSON.stringify(result, null, 2));
}
