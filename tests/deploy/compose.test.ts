// docker-compose.yml, the Dockerfile and the Grafana provisioning, checked without Docker (its
// engine does not run here): structure, ports, volumes, healthchecks, every referenced file, and
// every dashboard query parsed by a real influxd.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';

const ROOT = resolve(import.meta.dirname, '../..');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
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
  depends_on?: Record<string, { condition: string }>;
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
  it('has the four services, the simulator under profile sim', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'hub', 'influxdb', 'simulator']);
    expect(service('simulator').profiles).toEqual(['sim']);
    expect(service('influxdb').image).toBe('influxdb:1.8');
    expect(service('grafana').image).toMatch(/^grafana\/grafana:/);
  });

  it('publishes MQTT, HTTP and Grafana ports, not InfluxDB', () => {
    const published = (name: string): string[] => (service(name).ports ?? []).map((p) => p.split(':')[1] ?? p);
    expect(published('hub').sort()).toEqual(['1883', '8080']);
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
