// Shared by the engine harnesses (redis, postgres, haproxy): find a binary or say how to install it,
// retry a start that lost a free-port race, stop a child and wait for it.
import { execFileSync, type ChildProcess } from 'node:child_process';

export function requireBinary(name: string, install: string, extraDirs: string[] = []): string {
  const path = ['/usr/sbin', '/sbin', ...extraDirs, process.env.PATH ?? ''].join(':');
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8', env: { ...process.env, PATH: path } }).trim();
  } catch {
    throw new Error(`${name} is not installed; install it with: ${install}`);
  }
}

/** Another process can take a port between freePort() and the engine's bind: try again with a new one. */
export async function startWithRetries<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i += 1) {
    try {
      return await start();
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

export async function stopChild(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
