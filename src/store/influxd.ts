// A local influxd (Debian's `influxdb` package, 1.x) run as a child process: data under a
// directory, HTTP and RPC bound to loopback on free ports. Used by `gridwatch serve` when no
// InfluxDB URL is configured, and by the test harness.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { GridwatchError } from '../core/errors.js';

export interface ManagedInfluxd {
  url: string;
  port: number;
  dir: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** start again on the same port and data dir (after stop) */
  restart(): Promise<void>;
}

export interface InfluxdOptions {
  dir: string;
  port?: number;
  /** how often continuous queries run; tests shorten it */
  cqRunInterval?: string;
  binary?: string;
  startTimeoutMs?: number;
}

export const INFLUXD_INSTALL_HINT = 'install it with: sudo apt-get install -y influxdb influxdb-client (Debian/Ubuntu)';

export function findInfluxd(binary = 'influxd'): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new GridwatchError('GW_ERR_STORE_INFLUXD_MISSING', `influxd is not installed (no '${binary}' on PATH); ${INFLUXD_INSTALL_HINT}; or set influx.url in the config / GRIDWATCH_INFLUX_URL to use an existing InfluxDB`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function configText(dir: string, httpPort: number, rpcPort: number, cqRunInterval: string): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  wal-fsync-delay = "0s"
[coordinator]
  query-timeout = "0s"
[retention]
  enabled = true
  check-interval = "30m"
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  max-body-size = 0
[continuous_queries]
  enabled = true
  log-enabled = false
  run-interval = "${cqRunInterval}"
[logging]
  level = "warn"
  suppress-logo = true
`;
}

export async function waitForPing(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new GridwatchError('GW_ERR_STORE_INFLUXD_START', `influxd exited with code ${child.exitCode} before answering on ${url}`);
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 204) return;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new GridwatchError('GW_ERR_STORE_INFLUXD_START', `influxd did not answer on ${url}/ping within ${timeoutMs} ms`, { cause: lastErr, retryable: true });
}

export async function startInfluxd(opts: InfluxdOptions): Promise<ManagedInfluxd> {
  const binary = findInfluxd(opts.binary);
  mkdirSync(opts.dir, { recursive: true });
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const rpcPort = await freePort();
  const confPath = join(opts.dir, 'influxd.conf');
  writeFileSync(confPath, configText(opts.dir, port, rpcPort, opts.cqRunInterval ?? '1m'));
  const url = `http://127.0.0.1:${port}`;
  const log = createWriteStream(join(opts.dir, 'influxd.log'), { flags: 'a' });

  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(binary, ['-config', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    await waitForPing(url, opts.startTimeoutMs ?? 30_000, child);
    return child;
  };

  const handle: ManagedInfluxd = {
    url,
    port,
    dir: opts.dir,
    child: await launch(),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const child = handle.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill(signal);
      });
    },
    async restart() {
      handle.child = await launch();
    },
  };
  return handle;
}
