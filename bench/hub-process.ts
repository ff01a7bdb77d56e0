// The real hub as a child process (`gridwatch serve`), so its RSS is its own. It runs the
// compiled build, as `npm start` and the demo do (bin/gridwatch.js -> dist/): through tsx the hub
// would also pay the loader's per-closure `__name` wrappers, which users never run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { appendFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface HubProcess {
  child: ChildProcess;
  pid: number;
  rssBytes(): number;
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..');

/** The hub's V8 flags, as `npm start` gives them (the DIY peer's subscriber gets the same, to be fair). */
export const HUB_V8_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
/** The hub's command line after `node`, as `npm start` runs it: its V8 flags, then the compiled CLI (see `buildHub`). */
export const COMPILED_HUB: readonly string[] = [...HUB_V8_FLAGS, 'bin/gridwatch.js'];

/** Compiles src/ into dist/ (`tsc -p tsconfig.build.json`, what `npm run build` does before the panel), so the bench runs this tree's code. */
export function buildHub(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}

export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** `nodeArgs`: extra node flags for the hub (e.g. `--cpu-prof`, written on its graceful exit). */
/** Resolves when something accepts TCP connections on `port` (the hub opens HTTP before MQTT). */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** `mqttPort`: also wait until the broker accepts connections (a reconnect storm timed from then). */
export async function startHubProcess(opts: { config: string; influxUrl: string; httpPort: number; mqttPort?: number; logFile?: string; nodeArgs?: string[] }): Promise<HubProcess> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...COMPILED_HUB, 'serve', '--config', opts.config], {
    cwd: ROOT,
    env: { ...process.env, GRIDWATCH_INFLUX_URL: opts.influxUrl, GRIDWATCH_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
    if (opts.logFile) appendFileSync(opts.logFile, b);
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the hub exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${opts.httpPort}/healthz`);
      if (res.ok && (opts.mqttPort === undefined || (await accepting(opts.mqttPort)))) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the hub did not become healthy: ${stderr}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const pid = child.pid ?? 0;
  return {
    child,
    pid,
    rssBytes: () => rssOf(pid),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
}
