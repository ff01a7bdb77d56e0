// `gridwatch serve` as a child process on fresh ports (MQTT and HTTP port 0), for tests that kill
// or stop the hub for real (SIGKILL, SIGTERM) and start it again on the same data dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { until } from './hub.js';

const ROOT = join(import.meta.dirname, '../..');

/**
 * Starts `gridwatch serve --config file` and resolves with the MQTT port it logs once listening. A
 * restarted hub gets a new port rather than re-binding the old one, which another process may have
 * taken meanwhile; the device simply connects to the new one. `onLog` gets stdout and stderr.
 */
export async function serveChild(file: string, opts: { influxUrl: string; onLog?: (text: string) => void }): Promise<{ child: ChildProcess; mqttPort: number }> {
  const onLog = opts.onLog ?? ((): void => undefined);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', file], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GRIDWATCH_INFLUX_URL: opts.influxUrl, GRIDWATCH_MQTT_PORT: '0', GRIDWATCH_HTTP_PORT: '0', GRIDWATCH_LOG_LEVEL: 'info' },
  });
  let out = '';
  let mqttPort: number | undefined;
  child.stdout?.on('data', (d: Buffer) => {
    onLog(d.toString());
    if (mqttPort !== undefined) return;
    out += d.toString();
    mqttPort = Number(/"mqttPort":(\d+)[^\n]*"gridwatch hub listening"/.exec(out)?.[1]) || undefined;
  });
  child.stderr?.on('data', (d: Buffer) => onLog(d.toString()));
  try {
    const port = await until(() => {
      if (child.exitCode !== null) throw new Error(`gridwatch serve exited with ${child.exitCode}: ${out.slice(-2000)}`);
      return mqttPort;
    }, 60_000, 'the hub process to log its MQTT port');
    return { child, mqttPort: port };
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw e;
  }
}

/** Sends `signal` and resolves with the exit code once the process has exited (null when killed by a signal). */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill(signal);
  return exited;
}
