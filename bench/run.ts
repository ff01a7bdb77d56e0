// `npm run bench [-- --quick] [--messages M] [--idle N] [--window W]`
// Every figure is printed as a RATIO against a baseline measured in the same run on the same
// machine: ingest vs a bare aedes broker with an empty handler; idle connections vs bare aedes;
// the mosquitto peer vs the same baseline; ingest with rules on vs a second hub with
// `alerting.enabled: false` (rules on / rules off). Results go to bench/results/<timestamp>.json.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { uptimeBench } from './uptime.js';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startInfluxd } from '../src/store/influxd.js';
import { login, measureAlertLatency, openLive, type Latency } from './alerts.js';
import { startBareAedes } from './baseline.js';
import { makeFixture, rulesOffConfig, writeConfig, type BenchDevice } from './fixture.js';
import { startHubProcess } from './hub-process.js';
import { closeIdle, connectIdle } from './idle.js';
import { closePublishers, connectPublishers, influxCounter, makePayloads, publishAll, waitForCount } from './load.js';
import { startPeer } from './mosquitto.js';
import { ruleThroughput } from './rules.js';
import { formatTable, type Row } from './table.js';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    messages: { type: 'string' },
    idle: { type: 'string' },
    window: { type: 'string' },
    publishers: { type: 'string' },
  },
});
const quick = flags.quick ?? false;
const MESSAGES = Number(flags.messages ?? (quick ? 4_000 : 20_000));
const IDLE = Number(flags.idle ?? (quick ? 1_000 : 10_000));
const WINDOW = Number(flags.window ?? 20);
const PUBLISHERS = Number(flags.publishers ?? 40);
const SAMPLES = quick ? 20 : 50;
const LEVELS = [0, 0.1, 0.5];
const ROOT = resolve(import.meta.dirname, '..');
const DB = 'bench';

let seqRun = 0;
interface Throughput { messages: number; e2eMs: number; perSecond: number; pubackMs?: number }

async function drive(url: string, devices: BenchDevice[], qos: 0 | 1, done: (target: number) => Promise<number>, before: number): Promise<Throughput> {
  const pubs = await connectPublishers(url, devices);
  try {
    const perDevice = Math.ceil(MESSAGES / pubs.length);
    const payloads = makePayloads(pubs, perDevice, ++seqRun * 10_000_000);
    const total = perDevice * pubs.length;
    const load = await publishAll(pubs, payloads, qos, WINDOW);
    const end = await done(before + total);
    const e2eMs = end - load.started;
    return { messages: total, e2eMs: Math.round(e2eMs), perSecond: Math.round((total / e2eMs) * 1000), ...(qos === 1 ? { pubackMs: Math.round(load.publishMs) } : {}) };
  } finally {
    await closePublishers(pubs);
  }
}

function hubStages(): { rules: boolean; alertsAndLive: boolean } {
  const hub = readFileSync(join(ROOT, 'src/hub/hub.ts'), 'utf8');
  return { rules: /attach(Rules|Alerting)\(/.test(hub), alertsAndLive: /attachAlerting\(/.test(hub) && /attach(Live|Api)\(/.test(hub) };
}

const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const influxd = await startInfluxd({ dir: join(work, 'influxdb') });
  const results: Record<string, unknown> = { startedAt: new Date().toISOString(), quick, messages: MESSAGES, idle: IDLE, window: WINDOW, publishers: PUBLISHERS, cpus: cpus().length, node: process.version };
  const rows: Row[] = [];
  const offRes: Record<string, Throughput> = {};
  try {
    const mqttPort = await freePort();
    const httpPort = await freePort();
    const fixture = makeFixture({ loadDevices: PUBLISHERS, idleDevices: IDLE, alarmDevices: SAMPLES * LEVELS.length, database: DB, mqttPort, httpPort, dataDir: join(work, 'hub') });
    const configFile = join(work, 'gridwatch.yaml');
    writeConfig(configFile, fixture.config);
    const kinds = new Map(fixture.load.map((d) => [d.id, d.kind]));
    const stages = hubStages();
    results.stages = stages;

    // --- baseline: bare aedes, empty handler ---
    console.error('bench: baseline (bare aedes)');
    const bare = await startBareAedes();
    const base: Record<string, Throughput> = {};
    let baseIdleMs = 0;
    try {
      for (const qos of [0, 1] as const) {
        base[`qos${qos}`] = await drive(`mqtt://127.0.0.1:${bare.port}`, fixture.load, qos, (n) => waitForCount(() => bare.received(), n, 120_000, 10), await bare.received());
      }
      const idle = await connectIdle(bare.port, fixture.idle);
      baseIdleMs = Math.round(idle.ms);
      await closeIdle(idle.sockets);
    } finally {
      await bare.close();
    }
    results.baseline = { ...base, idleConnectMs: baseIdleMs };

    // --- the hub (child process) ---
    console.error('bench: gridwatch hub');
    const hub = await startHubProcess({ config: configFile, influxUrl: influxd.url, httpPort });
    const hubRes: Record<string, unknown> = {};
    try {
      const count = influxCounter(influxd.url, DB);
      for (const qos of [0, 1] as const) {
        hubRes[`qos${qos}`] = await drive(`mqtt://127.0.0.1:${mqttPort}`, fixture.load, qos, (n) => waitForCount(count, n), await count());
      }
      if (stages.alertsAndLive) {
        const socket = await openLive(httpPort, await login(httpPort, fixture.admin.id, fixture.admin.password));
        try {
          const max = (hubRes.qos1 as Throughput).perSecond;
          const lat: Record<string, Latency> = {};
          for (const [i, level] of LEVELS.entries()) {
            lat[`${level * 100}%`] = await measureAlertLatency({ mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, socket, alarms: fixture.alarm.slice(i * SAMPLES, (i + 1) * SAMPLES), load: fixture.load, rate: Math.round(max * level) });
          }
          hubRes.alertLatency = lat;
        } finally {
          socket.close();
        }
      }
      const rss0 = hub.rssBytes();
      const idle = await connectIdle(mqttPort, fixture.idle);
      await new Promise((r) => setTimeout(r, 2_000));
      const rss1 = hub.rssBytes();
      hubRes.idle = { devices: IDLE, connectMs: Math.round(idle.ms), rssBeforeMB: +(rss0 / 2 ** 20).toFixed(1), rssAfterMB: +(rss1 / 2 ** 20).toFixed(1), kbPerConnection: +((rss1 - rss0) / 1024 / IDLE).toFixed(1) };
      await closeIdle(idle.sockets);
    } finally {
      await hub.stop();
    }
    results.hub = hubRes;

    // --- the same hub with alerting.enabled: false (no rules engine, no cases): ingest only ---
    console.error('bench: gridwatch hub, rules off');
    const offHttpPort = await freePort();
    const offMqttPort = await freePort();
    const offConfigFile = join(work, 'gridwatch-rules-off.yaml');
    writeConfig(offConfigFile, rulesOffConfig(fixture.config, { mqttPort: offMqttPort, httpPort: offHttpPort, dataDir: join(work, 'hub-rules-off') }));
    const hubOff = await startHubProcess({ config: offConfigFile, influxUrl: influxd.url, httpPort: offHttpPort });
    try {
      const count = influxCounter(influxd.url, DB);
      for (const qos of [0, 1] as const) {
        offRes[`qos${qos}`] = await drive(`mqtt://127.0.0.1:${offMqttPort}`, fixture.load, qos, (n) => waitForCount(count, n), await count());
      }
    } finally {
      await hubOff.stop();
    }
    results.hubRulesOff = offRes;
    const onOff = (qos: 0 | 1): number => {
      const on = (hubRes[`qos${qos}`] as Throughput).perSecond;
      const off = (offRes[`qos${qos}`] as Throughput).perSecond;
      return off > 0 ? +(on / off).toFixed(3) : 0;
    };
    results.rulesOnOverOff = { qos0: onOff(0), qos1: onOff(1) };

    // --- peer: mosquitto + minimal subscriber writing to InfluxDB ---
    console.error('bench: mosquitto peer');
    const peerRes: Record<string, Throughput> = {};
    for (const qos of [0, 1] as const) {
      const db = `peer${qos}`;
      const peer = await startPeer({ dir: work, influxUrl: influxd.url, db, kindOf: (d) => kinds.get(d), qos });
      try {
        peerRes[`qos${qos}`] = await drive(`mqtt://127.0.0.1:${peer.port}`, fixture.load, qos, (n) => waitForCount(influxCounter(influxd.url, db), n), 0);
      } finally {
        await peer.close();
      }
    }
    results.peer = peerRes;

    for (const qos of [0, 1] as const) {
      const b = base[`qos${qos}`] as Throughput;
      const h = hubRes[`qos${qos}`] as Throughput;
      const p = peerRes[`qos${qos}`] as Throughput;
      const off = offRes[`qos${qos}`] as Throughput;
      rows.push({ figure: `ingest QoS ${qos}, publish -> InfluxDB (rules ${stages.rules ? 'on' : 'off: not attached'})`, value: `${h.perSecond} /s`, baseline: `bare aedes ${b.perSecond} /s`, ratio: ratio(h.perSecond, b.perSecond) });
      rows.push({ figure: `ingest QoS ${qos}, rules off (alerting.enabled: false)`, value: `${off.perSecond} /s`, baseline: `bare aedes ${b.perSecond} /s`, ratio: ratio(off.perSecond, b.perSecond) });
      rows.push({ figure: `ingest QoS ${qos}, rules on / rules off`, value: `${h.perSecond} /s`, baseline: `rules off ${off.perSecond} /s`, ratio: ratio(h.perSecond, off.perSecond) });
      rows.push({ figure: `peer mosquitto + writer QoS ${qos}`, value: `${p.perSecond} /s`, baseline: `bare aedes ${b.perSecond} /s`, ratio: ratio(p.perSecond, b.perSecond) });
      if (qos === 1) rows.push({ figure: 'hub vs peer QoS 1 (end to end)', value: `${h.perSecond} /s`, baseline: `mosquitto ${p.perSecond} /s`, ratio: ratio(h.perSecond, p.perSecond) });
    }
    const perDevice = Math.ceil(MESSAGES / fixture.load.length);
    const rules = ruleThroughput(fixture.load, makePayloads(fixture.load.map((device) => ({ device })), perDevice, 1));
    results.rulesEngine = rules;
    const h1 = hubRes.qos1 as Throughput;
    rows.push({ figure: 'rules engine alone, in process (default rules, all kinds)', value: `${rules.perSecond} /s`, baseline: `hub QoS 1 ingest ${h1.perSecond} /s`, ratio: ratio(rules.perSecond, h1.perSecond) });
    const idle = hubRes.idle as { connectMs: number; rssBeforeMB: number; rssAfterMB: number; kbPerConnection: number };
    rows.push({ figure: `${IDLE} idle connections: connect time (scrypt N=1024 auth)`, value: `${idle.connectMs} ms`, baseline: `bare aedes ${baseIdleMs} ms`, ratio: ratio(idle.connectMs, baseIdleMs) });
    rows.push({ figure: `${IDLE} idle connections: hub RSS`, value: `${idle.rssAfterMB} MB (${idle.kbPerConnection} kB/conn)`, baseline: `idle hub ${idle.rssBeforeMB} MB`, ratio: ratio(idle.rssAfterMB, idle.rssBeforeMB) });
    const lat = hubRes.alertLatency as Record<string, Latency> | undefined;
    const idleLat = lat?.['0%'];
    if (lat && idleLat) {
      for (const level of LEVELS.slice(1)) {
        const l = lat[`${level * 100}%`];
        if (!l) continue;
        rows.push({ figure: `alert latency p50, ${level * 100} % of max QoS 1 load (${l.backgroundPerSecond} /s), n=${l.samples}`, value: `${l.p50Ms} ms`, baseline: `no load ${idleLat.p50Ms} ms`, ratio: ratio(l.p50Ms, idleLat.p50Ms) });
        rows.push({ figure: `alert latency p99, ${level * 100} % of max QoS 1 load`, value: `${l.p99Ms} ms`, baseline: `no load ${idleLat.p99Ms} ms`, ratio: ratio(l.p99Ms, idleLat.p99Ms) });
      }
    } else {
      rows.push({ figure: 'alert latency', value: 'skipped: alerts/live stages not attached in src/hub/hub.ts', baseline: '-', ratio: '-' });
    }
  } finally {
    await influxd.stop();
    rmSync(work, { recursive: true, force: true });
  }
  // The uptime audit on downsampled vs raw data, on its own influxd (issue: 2,000 devices x 30 days).
  const up = quick ? { devices: 200, days: 7, intervalS: 3600 } : { devices: 2000, days: 30, intervalS: 3600 };
  const audit = await uptimeBench(up);
  results.uptimeAudit = audit;
  const label = `uptime audit, ${up.devices} devices x ${up.days} days`;
  rows.push({ figure: `${label}, 5-min downsampled copy`, value: `${audit.downsampledMs.toFixed(0)} ms`, baseline: `raw ${audit.rawMs.toFixed(0)} ms`, ratio: ratio(audit.downsampledMs, audit.rawMs) });
  rows.push({ figure: `${label}, gaps (elapsed) source`, value: `${audit.gapsMs.toFixed(0)} ms`, baseline: `raw ${audit.rawMs.toFixed(0)} ms`, ratio: ratio(audit.gapsMs, audit.rawMs) });
  results.finishedAt = new Date().toISOString();
  results.table = rows;
  const outDir = join(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatTable(rows));
  console.log(`\nresults: ${out}`);
}

await main();
