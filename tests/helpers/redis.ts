// Test harness: a real redis-server from Debian's package on a free loopback port, no persistence,
// its working dir in a temp dir. Stopped (SIGTERM, then SIGKILL) by cleanup().
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/store/influxd.js';
import { requireBinary, startWithRetries, stopChild } from './engines.js';

export interface TestRedis {
  url: string;
  port: number;
  proc: ChildProcess;
  /** a fresh client (closed by cleanup) */
  client(): Redis;
  cleanup(): Promise<void>;
}

export async function startTestRedis(): Promise<TestRedis> {
  const bin = requireBinary('redis-server', 'apt-get install -y redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));
  const clients: Redis[] = [];
  const { proc, port } = await startWithRetries(async () => {
    const port = await freePort();
    const proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', join(dir, 'redis.log')], { stdio: 'ignore' });
    try {
      await waitForRedis(port, proc);
    } catch (err) {
      await stopChild(proc, 'SIGKILL');
      throw err;
    }
    return { proc, port };
  });
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    port,
    proc,
    client: () => {
      const c = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
      clients.push(c);
      return c;
    },
    cleanup: async () => {
      for (const c of clients) c.disconnect();
      await stopChild(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForRedis(port: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode} on port ${port}`);
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      probe.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${port} within 15 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
