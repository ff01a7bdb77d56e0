// The do-it-yourself peer: Debian's mosquitto on a free port (temp config) and one subscriber
// script in its own process (peer-writer.ts) writing every reading to InfluxDB. Both pids are
// reported so the bench can charge their CPU.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort } from '../src/store/influxd.js';
import { HUB_V8_FLAGS } from './hub-process.js';

export interface Peer {
  port: number;
  /** mosquitto's pid */
  brokerPid: number;
  /** the subscriber's pid (undefined when started without one) */
  writerPid?: number;
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

const stop = (child: ChildProcess, how: () => void): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  how();
  return exited;
};

/** mosquitto, plus (with `writer`) the subscriber writing to `writer.db` on `writer.influxUrl`. */
export async function startPeer(opts: { dir: string; writer?: { influxUrl: string; db: string; kinds: Record<string, string>; qos: 0 | 1 } }): Promise<Peer> {
  const port = await freePort();
  const conf = join(opts.dir, `mosquitto-${port}.conf`);
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\nmax_inflight_messages 0\nmax_connections -1\nlog_type error\n`);
  const broker = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
  await waitForPort(port, broker);
  let writer: ChildProcess | undefined;
  if (opts.writer) {
    const w = fork(join(import.meta.dirname, 'peer-writer.ts'), [JSON.stringify({ port, ...opts.writer })], { execArgv: ['--import', 'tsx', ...HUB_V8_FLAGS], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    writer = w;
    await new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('exit', (code) => reject(new Error(`peer writer exited with ${code}`)));
    });
  }
  return {
    port,
    brokerPid: broker.pid ?? 0,
    ...(writer ? { writerPid: writer.pid ?? 0 } : {}),
    close: async () => {
      if (writer) await stop(writer, () => writer?.disconnect());
      await stop(broker, () => broker.kill('SIGTERM'));
    },
  };
}
