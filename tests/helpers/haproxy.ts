// Test harness: Debian's haproxy in front of real hubs on loopback, running the SHIPPED
// deploy/haproxy.cfg (client-id consistent hash, MQTT health check, HTTP/WebSocket frontend) with
// only its addresses rewritten: binds on fresh loopback ports, the servers at the hubs' ports, no
// Docker DNS, a smaller maxconn. Its stats page (CSV) tells the tests which hubs HAProxy considers up.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/store/influxd.js';
import { requireBinary, startWithRetries, stopChild } from './engines.js';

const SHIPPED = resolve(import.meta.dirname, '../../deploy/haproxy.cfg');

export interface HaproxyBackend {
  /** the server name in deploy/haproxy.cfg (hub-a, hub-b) */
  name: string;
  mqttPort: number;
  httpPort: number;
}

export interface TestHaproxy {
  mqttPort: number;
  httpPort: number;
  proc: ChildProcess;
  /** the generated config */
  config: string;
  /** HAProxy's view of each hub: server name -> status (UP, DOWN, ...), per backend */
  status(): Promise<{ mqtt: Record<string, string>; http: Record<string, string> }>;
  /** points server `name` at new ports (a hub started again on fresh ports) */
  setServer(name: string, b: Omit<HaproxyBackend, 'name'>): Promise<void>;
  /** a command on haproxy's admin socket (e.g. `show sess`), its reply */
  admin(command: string): Promise<string>;
  /** which hub HAProxy sent the MQTT connection from local port `port` to (from `show sess`) */
  serverOf(port: number): Promise<string | undefined>;
  /** what haproxy wrote (warnings and errors) */
  log(): string;
  cleanup(): Promise<void>;
}

/** deploy/haproxy.cfg with loopback addresses: the shipped routing and health checks, unchanged. */
export function loopbackConfig(shipped: string, ports: { mqtt: number; http: number; stats: number; socket: string }, backends: HaproxyBackend[]): string {
  const lines: string[] = [];
  let skipping = false;
  for (const line of shipped.split('\n')) {
    if (/^resolvers /.test(line)) {
      skipping = true; // Docker's DNS: the servers are loopback addresses here
      continue;
    }
    if (skipping && /^\S/.test(line)) skipping = false;
    if (skipping) continue;
    let l = line.replace(/ resolvers docker init-addr \S+/, '');
    l = l.replace(/^(\s*)maxconn \d+/, '$1maxconn 4096'); // the test machine's file descriptor limit
    l = l.replace(/^(\s*)bind :1883\b.*/, `$1bind 127.0.0.1:${ports.mqtt}`);
    l = l.replace(/^(\s*)bind :8080\b.*/, `$1bind 127.0.0.1:${ports.http}`);
    l = l.replace(/^(\s*)bind :8404\b.*/, `$1bind 127.0.0.1:${ports.stats}`);
    const server = /^(\s*)server (\S+) \S+:(1883|8080)(.*)$/.exec(l);
    if (server) {
      const [, indent, name, kind, rest] = server as unknown as [string, string, string, string, string];
      const b = backends.find((x) => x.name === name);
      if (!b) continue; // a hub this test does not run
      l = `${indent}server ${name} 127.0.0.1:${kind === '1883' ? b.mqttPort : b.httpPort}${rest}`;
    }
    lines.push(l);
    if (/^global\b/.test(l)) lines.push(`  stats socket ${ports.socket} level admin`);
  }
  return lines.join('\n');
}

export async function startTestHaproxy(backends: HaproxyBackend[]): Promise<TestHaproxy> {
  const bin = requireBinary('haproxy', 'apt-get install -y haproxy');
  const dir = mkdtempSync(join(tmpdir(), 'gw-haproxy-'));
  const socket = join(dir, 'admin.sock');
  const file = join(dir, 'haproxy.cfg');
  let out = '';
  const started = await startWithRetries(async () => {
    const ports = { mqtt: await freePort(), http: await freePort(), stats: await freePort(), socket };
    const config = loopbackConfig(readFileSync(SHIPPED, 'utf8'), ports, backends);
    writeFileSync(file, config);
    out = '';
    const proc = spawn(bin, ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    proc.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      await waitForStats(ports.stats, proc, () => out);
    } catch (err) {
      await stopChild(proc, 'SIGKILL');
      throw err;
    }
    return { proc, ports, config };
  });
  const { proc, ports, config } = started;

  const status = async (): Promise<{ mqtt: Record<string, string>; http: Record<string, string> }> => {
    const csv = await (await fetch(`http://127.0.0.1:${ports.stats}/;csv`)).text();
    const result = { mqtt: {} as Record<string, string>, http: {} as Record<string, string> };
    for (const row of csv.split('\n')) {
      const f = row.split(',');
      const [px, sv] = [f[0], f[1]];
      if (!px || !sv || sv === 'BACKEND' || sv === 'FRONTEND') continue;
      if (px === 'hubs_mqtt') result.mqtt[sv] = f[17] ?? '';
      if (px === 'hubs_http') result.http[sv] = f[17] ?? '';
    }
    return result;
  };

  const admin = (command: string): Promise<string> => new Promise((resolveCmd, reject) => {
    import('node:net').then(({ createConnection }) => {
      const c = createConnection(socket);
      let reply = '';
      c.on('data', (d) => { reply += d.toString(); });
      c.on('end', () => resolveCmd(reply));
      c.on('error', reject);
      c.end(`${command}\n`);
    }, reject);
  });

  return {
    mqttPort: ports.mqtt,
    httpPort: ports.http,
    proc,
    config,
    status,
    async setServer(name, b) {
      for (const [backend, port] of [['hubs_mqtt', b.mqttPort], ['hubs_http', b.httpPort]] as const) {
        const reply = await admin(`set server ${backend}/${name} addr 127.0.0.1 port ${port}`);
        if (!/changed|no need to change/i.test(reply)) throw new Error(`haproxy refused the new address of ${name}: ${reply}`);
      }
    },
    admin,
    async serverOf(port) {
      const line = (await admin('show sess')).split('\n').find((l) => l.includes(`src=127.0.0.1:${port} `) && l.includes('be=hubs_mqtt'));
      return line ? /srv=(\S+)/.exec(line)?.[1] : undefined;
    },
    log: () => out,
    cleanup: async () => {
      await stopChild(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForStats(port: number, proc: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited with ${proc.exitCode}: ${log().slice(-2000)}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/;csv`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`haproxy's stats page did not answer on port ${port} within 15 s: ${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
