// A local influxd (Debian's `influxdb` package, 1.x) run as a child process: data under a
// directory, HTTP and RPC bound to loopback on free ports. Used by `gridwatch serve` when no
// InfluxDB URL is configured, and by the test harness.
//
// Supervised (`supervise`): an influxd that exits without being asked to (crash, kill -9) is
// started again on the same port and data dir, with backoff; the writer's spool covers the gap
// and drains by itself once /ping answers. One influxd per data dir: `<dir>/influxd.pid` names
// the running influxd and the process that owns it. On start, an influxd left running on this
// dir by an owner that is gone (a hub killed with SIGKILL leaves its child re-parented and
// running) is stopped first (SIGTERM, then SIGKILL), found by the pid file and by scanning /proc
// for our config path; a live owner other than us is an error, never a second influxd.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, createWriteStream, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { GridwatchError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { backoffDelay } from './backoff.js';

export interface ManagedInfluxd {
  url: string;
  port: number;
  dir: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** start again on the same port and data dir (after stop) */
  restart(): Promise<void>;
  /** times the supervisor started influxd again after it died */
  readonly restarts: number;
}

export interface InfluxdOptions {
  dir: string;
  port?: number;
  /** how often continuous queries run; tests shorten it */
  cqRunInterval?: string;
  binary?: string;
  startTimeoutMs?: number;
  /** start influxd again (with backoff) whenever it exits without stop() */
  supervise?: boolean;
  logger?: Logger;
}

/** `<dir>/influxd.pid`: which influxd runs on this data dir, and which process owns it. */
interface PidFile {
  pid: number;
  owner: number;
  config: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Processes whose command line is `... -config <confPath>`: influxds on this data dir. */
export function influxdsUsing(confPath: string): number[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return []; // no /proc: rely on the pid file alone
  }
  return pids.filter((pid) => {
    const argv = cmdline(pid);
    const i = argv.indexOf('-config');
    return i >= 0 && argv[i + 1] === confPath;
  });
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid) || cmdline(pid).length === 0) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

/** Stop any influxd left on this data dir by an owner that is gone; refuse if a live one owns it. */
async function reclaimDataDir(dir: string, confPath: string, logger?: Logger): Promise<void> {
  const pidPath = join(dir, 'influxd.pid');
  let recorded: PidFile | undefined;
  try {
    recorded = JSON.parse(readFileSync(pidPath, 'utf8')) as PidFile;
  } catch {
    recorded = undefined;
  }
  if (recorded && recorded.owner !== process.pid && alive(recorded.owner) && alive(recorded.pid) && cmdline(recorded.pid).includes(confPath)) {
    throw new GridwatchError('GW_ERR_STORE_INFLUXD_START', `the InfluxDB data dir ${dir} is in use by influxd pid ${recorded.pid}, managed by the running process ${recorded.owner}; stop it first or use another dataDir`);
  }
  for (const pid of influxdsUsing(confPath)) {
    logger?.warn({ pid, dir }, 'an influxd left running on our data dir (its hub died); stopping it before starting ours');
    try {
      process.kill(pid, 'SIGTERM');
      process.kill(pid, 'SIGCONT'); // a stopped process must run to handle SIGTERM
    } catch {
      continue; // gone already
    }
    if (!(await waitGone(pid, 10_000))) {
      process.kill(pid, 'SIGKILL');
      await waitGone(pid, 5_000);
    }
  }
  rmSync(pidPath, { force: true });
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

class PortTakenError extends GridwatchError {
  constructor(url: string, why: string) {
    super('GW_ERR_STORE_INFLUXD_START', `cannot start influxd on ${url}: ${why}`, { retryable: true });
  }
}

/** The server answering on `url` must be the influxd started with our config, not another one. */
async function assertOurs(url: string, confPath: string): Promise<void> {
  const res = await fetch(`${url}/debug/vars`, { signal: AbortSignal.timeout(5000) });
  const vars = (await res.json()) as { cmdline?: unknown };
  if (!Array.isArray(vars.cmdline) || !vars.cmdline.includes(confPath)) {
    throw new PortTakenError(url, `another influxd answers there (${JSON.stringify(vars.cmdline)})`);
  }
}

/** True when nothing listens on 127.0.0.1:port (we could bind it). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
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
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const confPath = join(dir, 'influxd.conf');
  await reclaimDataDir(dir, confPath, opts.logger);
  const fixedPort = opts.port && opts.port > 0 ? opts.port : undefined;
  let port = 0;
  let url = '';
  const configure = async (): Promise<void> => {
    port = fixedPort ?? (await freePort());
    url = `http://127.0.0.1:${port}`;
    writeFileSync(confPath, configText(dir, port, await freePort(), opts.cqRunInterval ?? '1m'));
  };
  await configure();
  const log = createWriteStream(join(dir, 'influxd.log'), { flags: 'a' });
  const pidPath = join(dir, 'influxd.pid');
  const log$ = opts.logger;

  let stopping = false;
  let restarts = 0;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;

  const launch = async (): Promise<ChildProcess> => {
    // Another server on our port would answer our /ping while our influxd dies on bind.
    if (!(await portIsFree(port))) throw new PortTakenError(url, 'another process listens on it');
    const child = spawn(binary, ['-config', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    if (child.pid) writeFileSync(pidPath, JSON.stringify({ pid: child.pid, owner: process.pid, config: confPath } satisfies PidFile));
    try {
      await waitForPing(url, opts.startTimeoutMs ?? 30_000, child);
      await assertOurs(url, confPath);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    return child;
  };

  // Supervision: an exit we did not ask for starts influxd again, with backoff (reset after a
  // minute of uptime so a crash loop slows down but a rare crash restarts at once).
  const supervise = (child: ChildProcess): void => {
    if (!opts.supervise) return;
    const started = Date.now();
    child.once('exit', (code, signal) => {
      if (stopping || handle.child !== child) return;
      if (Date.now() - started > 60_000) failures = 0;
      failures += 1;
      const delay = backoffDelay(failures, 200, 10_000);
      log$?.error({ code, signal, restartInMs: Math.round(delay), url }, 'managed influxd exited; starting it again');
      const attempt = (): void => {
        retryTimer = undefined;
        if (stopping) return;
        launch().then((next) => {
          if (stopping) {
            next.kill('SIGTERM');
            return;
          }
          restarts += 1;
          handle.child = next;
          supervise(next);
          log$?.info({ url, restarts }, 'managed influxd running again');
        }, (e: unknown) => {
          failures += 1;
          const again = backoffDelay(failures, 200, 10_000);
          log$?.error({ err: e instanceof Error ? e.message : String(e), retryInMs: Math.round(again) }, 'managed influxd did not start; retrying');
          retryTimer = setTimeout(attempt, again);
        });
      };
      retryTimer = setTimeout(attempt, delay);
    });
  };

  // A free port can be taken by another process before influxd binds it: try fresh ports.
  let first: ChildProcess | undefined;
  for (let attempt = 1; !first; attempt++) {
    try {
      first = await launch();
    } catch (e) {
      if (fixedPort !== undefined || attempt >= 3 || !(e instanceof PortTakenError)) throw e;
      await configure();
    }
  }
  const handle: ManagedInfluxd = {
    url,
    port,
    dir,
    child: first,
    get restarts() {
      return restarts;
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      stopping = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      const child = handle.child;
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill(signal);
          if (signal !== 'SIGKILL') child.kill('SIGCONT'); // a stopped influxd must run to exit cleanly
        });
      }
      rmSync(pidPath, { force: true });
    },
    async restart() {
      stopping = false;
      handle.child = await launch();
      supervise(handle.child);
    },
  };
  supervise(first);
  return handle;
}
