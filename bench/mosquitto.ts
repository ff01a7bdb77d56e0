// The peer: Debian's mosquitto on a free port (temp config) and a minimal subscriber that writes
// every reading to InfluxDB (line protocol over HTTP, batched like the hub's writer).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from '../src/store/influxd.js';

export interface Peer {
  port: number;
  close(): Promise<void>;
}

const MOSQUITTO = '/usr/sbin/mosquitto';

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
    try {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000 });
      await c.endAsync(true);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error('mosquitto did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function line(kind: string, device: string, body: Record<string, unknown>): string | undefined {
  const fields: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (k === 'ts') continue;
    if (typeof v === 'number') fields.push(k === 'seq' ? `${k}=${v}i` : `${k}=${v}`);
    else if (typeof v === 'boolean') fields.push(`${k}=${v}`);
    else if (typeof v === 'string') fields.push(`${k}="${v.replace(/"/g, '\\"')}"`);
  }
  if (fields.length === 0 || typeof body.ts !== 'number') return undefined;
  return `${kind},device=${device} ${fields.join(',')} ${Math.trunc(body.ts)}`;
}

/** mosquitto plus a subscriber writing to `db` on `influxUrl`; kinds by device id. */
export async function startPeer(opts: { dir: string; influxUrl: string; db: string; kindOf: (device: string) => string | undefined; qos: 0 | 1 }): Promise<Peer> {
  const port = await freePort();
  const conf = join(opts.dir, `mosquitto-${port}.conf`);
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\nmax_inflight_messages 0\nlog_type error\n`);
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
  await waitForPort(port, child);
  await fetch(`${opts.influxUrl}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${opts.db}"` }) });

  let buffer: string[] = [];
  let writing: Promise<void> = Promise.resolve();
  const flush = (): void => {
    if (buffer.length === 0) return;
    const body = buffer.join('\n');
    buffer = [];
    writing = writing.then(async () => {
      await fetch(`${opts.influxUrl}/write?db=${opts.db}&precision=ms`, { method: 'POST', body });
    });
  };
  const timer = setInterval(flush, 100);
  const sub: MqttClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'peer-writer', reconnectPeriod: 0 });
  sub.on('message', (topic, payload) => {
    const device = topic.split('/')[2] ?? '';
    const kind = opts.kindOf(device);
    if (!kind) return;
    try {
      const l = line(kind, device, JSON.parse(payload.toString()) as Record<string, unknown>);
      if (l) buffer.push(l);
    } catch {
      return;
    }
    if (buffer.length >= 5000) flush();
  });
  await sub.subscribeAsync('gridwatch/v1/+/reading', { qos: opts.qos });
  return {
    port,
    close: async () => {
      clearInterval(timer);
      await sub.endAsync(true);
      await writing;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
