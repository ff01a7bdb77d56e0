// Test harness for cluster mode: a real influxd, redis-server and PostgreSQL, and N real hub
// processes (`gridwatch serve`, the same config file, GRIDWATCH_HUB_ID hub-a, hub-b, ...) on
// fresh loopback ports. Each hub can be killed (-9), stopped (SIGSTOP), resumed or started again.
// HAProxy in front is added by the caller (tests/helpers/haproxy.ts) from `hubs[i].mqttPort`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { until, testSite, type TestDevice } from './hub.js';
import { startTestInflux, type TestInflux } from './influxd.js';
import { startTestPostgres, type TestPostgres } from './postgres.js';
import { startTestRedis, type TestRedis } from './redis.js';
import { stopChild } from './engines.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ClusterHub {
  id: string;
  child: ChildProcess;
  pid: number;
  mqttPort: number;
  httpPort: number;
  /** everything the hub wrote to stdout / stderr (pino JSON lines) */
  log(): string;
}

export interface TestCluster {
  influx: TestInflux;
  redis: TestRedis;
  postgres: TestPostgres;
  configFile: string;
  secrets: Map<string, string>;
  hubs: ClusterHub[];
  /** starts hub `id` (again, after a kill) on fresh ports; replaces its entry in `hubs` */
  startHub(id: string, env?: Record<string, string>): Promise<ClusterHub>;
  /** an MQTT client for a device connected straight to a hub (rejects when refused) */
  connect(device: string, port: number, opts?: IClientOptions): Promise<MqttClient>;
  cleanup(): Promise<void>;
}

export interface TestClusterOptions {
  hubs?: number;
  devices: TestDevice[];
  /** merged into the config file (e.g. escalation, rules, people; `cluster: { leaseMs }`: the rest comes from the environment) */
  overrides?: Record<string, unknown>;
  /** extra environment for every hub */
  env?: Record<string, string>;
  /** node flags for every hub (e.g. --cpu-prof for the bench) */
  nodeArgs?: string[];
  /** the hub's command line after node and its flags; default: the sources through tsx (the bench passes the compiled CLI) */
  hubCommand?: readonly string[];
}

export async function startTestCluster(opts: TestClusterOptions): Promise<TestCluster> {
  const [influx, redis, postgres] = await Promise.all([startTestInflux(), startTestRedis(), startTestPostgres()]);
  const dir = mkdtempSync(join(tmpdir(), 'gw-cluster-'));
  const site = testSite(opts.devices, { influx: { database: 'gridwatch', flushMs: 20 }, ...opts.overrides });
  const configFile = join(dir, 'gridwatch.yaml');
  writeFileSync(configFile, stringify(site.raw));
  const clients = new Set<MqttClient>();
  const hubs: ClusterHub[] = [];
  const children: ChildProcess[] = [];

  const startHub = async (id: string, env: Record<string, string> = {}): Promise<ClusterHub> => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...(opts.hubCommand ?? ['--import', 'tsx', 'src/cli/main.ts']), 'serve', '--config', configFile], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        GRIDWATCH_HUB_ID: id, GRIDWATCH_REDIS_URL: redis.url, GRIDWATCH_POSTGRES_URL: postgres.url,
        GRIDWATCH_INFLUX_URL: influx.url, GRIDWATCH_DATA_DIR: join(dir, id),
        GRIDWATCH_MQTT_PORT: '0', GRIDWATCH_HTTP_PORT: '0', GRIDWATCH_LOG_LEVEL: 'info',
        ...opts.env, ...env,
      },
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    const ports = await until(() => {
      if (child.exitCode !== null) throw new Error(`hub ${id} exited with ${child.exitCode}: ${out.slice(-3000)}`);
      const m = /"mqttPort":(\d+),"httpPort":(\d+)[^\n]*"gridwatch hub listening"/.exec(out);
      return m ? { mqttPort: Number(m[1]), httpPort: Number(m[2]) } : undefined;
    }, 90_000, `hub ${id} to listen`);
    const hub: ClusterHub = { id, child, pid: child.pid ?? 0, ...ports, log: () => out };
    const at = hubs.findIndex((h) => h.id === id);
    if (at >= 0) hubs[at] = hub;
    else hubs.push(hub);
    return hub;
  };

  try {
    for (let i = 0; i < (opts.hubs ?? 2); i++) await startHub(`hub-${String.fromCharCode(97 + i)}`);
  } catch (err) {
    await Promise.all(children.map((c) => stopChild(c, 'SIGKILL')));
    await Promise.all([influx.cleanup(), redis.cleanup(), postgres.cleanup()]);
    throw err;
  }

  return {
    influx, redis, postgres, configFile, secrets: site.secrets, hubs, startHub,
    async connect(device, port, extra = {}) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        clientId: device, username: device, password: site.secrets.get(device) ?? 'none', reconnectPeriod: 0, connectTimeout: 10_000, ...extra,
      });
      clients.add(client);
      return client;
    },
    async cleanup() {
      for (const c of clients) c.end(true);
      // a hub left stopped (SIGSTOP) by a test cannot act on SIGTERM
      // (a hub killed by the test may not be reaped yet: then there is nobody to resume)
      for (const c of children) {
        if (c.exitCode !== null || c.signalCode !== null || !c.pid) continue;
        try {
          process.kill(c.pid, 'SIGCONT');
        } catch {
          // already gone
        }
      }
      await Promise.all(children.map((c) => stopChild(c, 'SIGTERM', 15_000)));
      await Promise.all([influx.cleanup(), redis.cleanup(), postgres.cleanup()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
