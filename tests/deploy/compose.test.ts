// docker-compose.yml, the Dockerfile and the Grafana provisioning, checked without Docker (its
// engine does not run here): structure, ports, volumes, healthchecks, every referenced file, and
// every dashboard query parsed by a real influxd.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { loadConfigFile } from '../../src/config/index.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { requireBinary } from '../helpers/engines.js';

const ROOT = resolve(import.meta.dirname, '../..');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  profiles?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  deploy?: { replicas?: string | number };
  expose?: string[];
  environment?: Record<string, string>;
  command?: string[];
}

/** `${VAR:-default}` -> default, as compose resolves it with VAR unset. */
function defaults(s: string): string {
  return s.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}

function service(name: string): Service {
  const s = compose.services[name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
}

const DASH_DIR = join(ROOT, 'dashboards/grafana/dashboards');
const dashboards = readdirSync(DASH_DIR).filter((f) => f.endsWith('.json'));
const datasources = parse(readFileSync(join(ROOT, 'dashboards/grafana/provisioning/datasources/influxdb.yaml'), 'utf8')) as { datasources: { uid: string; type: string; url: string; jsonData: { dbName: string } }[] };

interface Panel { title: string; datasource?: { uid: string }; targets?: { query: string; datasource?: { uid: string } }[] }

describe('docker-compose.yml', () => {
  it('has the four services, the simulator under profile sim, the cluster under profile cluster', () => {
    const single = Object.entries(compose.services).filter(([, s]) => !s.profiles?.includes('cluster')).map(([n]) => n);
    expect(single.sort()).toEqual(['grafana', 'hub', 'influxdb', 'simulator']);
    expect(service('simulator').profiles).toEqual(['sim']);
    expect(service('influxdb').image).toBe('influxdb:1.8');
    expect(service('grafana').image).toMatch(/^grafana\/grafana:/);
  });

  it('publishes MQTT, HTTP and Grafana ports, not InfluxDB', () => {
    const published = (name: string): string[] => (service(name).ports ?? []).map((p) => p.split(':')[1] ?? p);
    expect(published('hub').sort()).toEqual(['1883', '8080']);
    // the cluster's front door takes the same ports: the single hub is scaled to zero then
    expect(published('haproxy').filter((p) => p !== '8404').sort()).toEqual(['1883', '8080']);
    expect(defaults(String(service('hub').deploy?.replicas))).toBe('1');
    expect(published('grafana')).toEqual(['3000']);
    expect(service('influxdb').ports).toBeUndefined();
  });

  it('gives every long-running service a healthcheck and waits on health', () => {
    for (const name of ['hub', 'influxdb', 'grafana']) {
      const hc = service(name).healthcheck;
      expect(hc?.test[0], name).toMatch(/^CMD/);
      expect(hc?.test.length, name).toBeGreaterThan(1);
    }
    expect(service('hub').depends_on?.influxdb?.condition).toBe('service_healthy');
    expect(service('simulator').depends_on?.hub?.condition).toBe('service_healthy');
    expect(service('hub').environment?.GRIDWATCH_INFLUX_URL).toBe('http://influxdb:8086');
  });

  it('declares every named volume and every bind-mounted path exists', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const source = defaults(v).split(':')[0] ?? '';
        if (source.startsWith('.') || source.startsWith('/')) expect(existsSync(resolve(ROOT, source)), `${name}: ${source}`).toBe(true);
        else expect(Object.keys(compose.volumes), `${name}: volume ${source}`).toContain(source);
      }
    }
    // the hub's default config directory holds the config the command names
    expect(service('hub').command).toContain('/etc/gridwatch/gridwatch.yaml');
    expect(existsSync(join(ROOT, 'examples/gridwatch.yaml'))).toBe(true);
  });

  it('builds from a Dockerfile on node:20 slim with npm ci and the build', () => {
    for (const name of ['hub', 'simulator']) {
      const b = service(name).build;
      expect(b).toBeDefined();
      expect(existsSync(resolve(ROOT, b?.context ?? '', b?.dockerfile ?? ''))).toBe(true);
    }
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-[a-z]+-slim/m);
    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/^HEALTHCHECK/m);
    // every COPY --from=build source is produced by the build stage or exists in the repo
    for (const m of dockerfile.matchAll(/^COPY --from=build \/app\/(\S+)/gm)) {
      const path = m[1] ?? '';
      expect(['dist', 'node_modules', 'dashboards/panel/dist'].includes(path) || existsSync(join(ROOT, path)), path).toBe(true);
    }
  });
});

describe('docker-compose.yml, profile cluster', () => {
  const hubs = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('cluster') && s.command?.[0] === 'serve').map(([n]) => n);
  const envFilled = (env: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{(REDIS|POSTGRES)_PASSWORD:\?[^}]*\}/g, 'pw-$1')]));

  it('runs two hubs, Redis, PostgreSQL and HAProxy, every one under the profile, with healthchecks', () => {
    expect(hubs.sort()).toEqual(['hub-a', 'hub-b']);
    for (const name of ['redis', 'postgres', 'haproxy', ...hubs]) {
      expect(service(name).profiles, name).toEqual(['cluster']);
      expect(service(name).healthcheck?.test[0], name).toMatch(/^CMD/);
    }
    // only HAProxy is published: devices and browsers never pick a hub themselves
    for (const name of ['redis', 'postgres', ...hubs]) expect(service(name).ports, name).toBeUndefined();
    for (const h of hubs) {
      expect(service(h).depends_on?.redis?.condition).toBe('service_healthy');
      expect(service(h).depends_on?.postgres?.condition).toBe('service_healthy');
      expect(service(h).depends_on?.influxdb?.condition).toBe('service_healthy');
    }
    expect(service('simulator').depends_on?.hub?.required).toBe(false);
  });

  it("gives each hub a config the hub's own loader accepts: a distinct id, the shared engines, the shared InfluxDB", () => {
    const ids = new Set<string>();
    for (const h of hubs) {
      const env = envFilled(service(h).environment ?? {});
      const config = loadConfigFile(join(ROOT, 'examples/gridwatch.yaml'), { env });
      expect(config.cluster?.hubId).toBe(h);
      ids.add(config.cluster?.hubId ?? '');
      expect(new URL(config.cluster?.redisUrl ?? '').host).toBe('redis:6379');
      expect(new URL(config.cluster?.postgresUrl ?? '').host).toBe('postgres:5432');
      expect(config.influx.url).toBe('http://influxdb:8086');
      // passwords come from the environment, never from the file
      expect(config.cluster?.redisUrl).toContain('pw-REDIS');
    }
    expect(ids.size).toBe(hubs.length);
  });

  it('mounts a deploy/haproxy.cfg that a real haproxy accepts and that names every hub for MQTT and HTTP', () => {
    const mount = (service('haproxy').volumes ?? []).find((v) => v.startsWith('./deploy/haproxy.cfg:'));
    expect(mount).toBeDefined();
    const cfgPath = join(ROOT, 'deploy/haproxy.cfg');
    const haproxy = requireBinary('haproxy', 'apt-get install -y haproxy');
    const check = spawnSync(haproxy, ['-c', '-f', cfgPath], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const cfg = readFileSync(cfgPath, 'utf8');
    for (const h of hubs) {
      expect(cfg).toMatch(new RegExp(`server ${h} ${h}:1883`));
      expect(cfg).toMatch(new RegExp(`server ${h} ${h}:8080`));
    }
    expect(cfg).toMatch(/balance hash var\(sess\.cid\)/);
    expect(cfg).toMatch(/hash-type consistent/);
  });

  describe('the MQTT health check in deploy/haproxy.cfg against a real hub', () => {
    let influx: TestInflux;
    let hub: TestHub;
    beforeAll(async () => {
      influx = await startTestInflux();
      hub = await startTestHub({ influxUrl: influx.url, devices: [{ id: 'gas-0001', kind: 'gas' }] });
    }, 60_000);
    afterAll(async () => {
      await hub?.close();
      await influx?.cleanup();
    });

    it('gets the CONNACK it expects: the hub answers an anonymous CONNECT, refusing it', async () => {
      const cfg = readFileSync(join(ROOT, 'deploy/haproxy.cfg'), 'utf8');
      const send = /tcp-check send-binary ([0-9a-f]+)/.exec(cfg)?.[1] ?? '';
      const expectHex = /tcp-check expect binary ([0-9a-f]+)/.exec(cfg)?.[1] ?? '';
      expect(send).not.toBe('');
      const answer = await new Promise<Buffer>((resolve, reject) => {
        const sock = createConnection({ host: '127.0.0.1', port: hub.hub.mqttPort }, () => sock.write(Buffer.from(send, 'hex')));
        sock.once('data', (d) => {
          resolve(d);
          sock.destroy();
        });
        sock.once('error', reject);
      });
      expect(answer.subarray(0, expectHex.length / 2).toString('hex')).toBe(expectHex);
      // and it is a refusal, not a session: return code (4th byte) is not 0
      expect(answer[3]).not.toBe(0);
    });
  });
});

describe('Grafana provisioning', () => {
  const uid = datasources.datasources[0]?.uid;

  it('provisions one InfluxDB datasource on the compose network', () => {
    expect(datasources.datasources).toHaveLength(1);
    expect(datasources.datasources[0]?.type).toBe('influxdb');
    expect(datasources.datasources[0]?.url).toBe('http://influxdb:8086');
    expect(datasources.datasources[0]?.jsonData.dbName).toBe('gridwatch');
    const provider = parse(readFileSync(join(ROOT, 'dashboards/grafana/provisioning/dashboards/gridwatch.yaml'), 'utf8')) as { providers: { options: { path: string } }[] };
    const mount = (service('grafana').volumes ?? []).find((v) => v.startsWith('./dashboards/grafana/dashboards:'));
    expect(mount?.split(':')[1]).toBe(provider.providers[0]?.options.path);
  });

  it('has the four dashboards, each parsing and using only the provisioned datasource', () => {
    expect(dashboards.sort()).toEqual(['alerts.json', 'night-noise.json', 'presence.json', 'readings.json']);
    for (const file of dashboards) {
      const d = JSON.parse(readFileSync(join(DASH_DIR, file), 'utf8')) as { uid: string; panels: Panel[] };
      expect(d.uid).toMatch(/^gridwatch-/);
      expect(d.panels.length).toBeGreaterThan(0);
      for (const p of d.panels) {
        expect(p.datasource?.uid, `${file}: ${p.title}`).toBe(uid);
        expect(p.targets?.length, `${file}: ${p.title}`).toBeGreaterThan(0);
        for (const t of p.targets ?? []) expect(t.datasource?.uid).toBe(uid);
      }
    }
  });

  describe('queries against a real influxd', () => {
    let influx: TestInflux;
    beforeAll(async () => {
      influx = await startTestInflux();
      await influx.createDb('gridwatch');
    });
    afterAll(async () => {
      await influx?.cleanup();
    });

    it('every dashboard query is valid InfluxQL', async () => {
      let n = 0;
      for (const file of dashboards) {
        const d = JSON.parse(readFileSync(join(DASH_DIR, file), 'utf8')) as { panels: Panel[] };
        for (const p of d.panels) {
          for (const t of p.targets ?? []) {
            const q = t.query.replaceAll('$timeFilter', 'time > now() - 1h').replaceAll('$__interval', '1m').replaceAll('$building', '.*');
            await expect(influx.query(q, 'gridwatch'), `${file}: ${p.title}: ${q}`).resolves.toBeDefined();
            n++;
          }
        }
      }
      expect(n).toBeGreaterThan(10);
    });
  });
});
