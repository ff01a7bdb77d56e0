// Stopping a real process for a stall test. kill(2) only queues SIGSTOP; on a loaded machine the
// target can still answer a request before the kernel has stopped all its threads, so a test that
// acts right after the call races the stop it means to test. Wait until /proc shows it stopped.
import { readFileSync } from 'node:fs';
import { until } from './hub.js';

/** The one-letter state of a process (R, S, D, T, Z, ...) from /proc/<pid>/stat. */
export function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** SIGSTOP `pid` and resolve once the kernel reports it stopped. */
export async function stopProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await until(() => processState(pid) === 'T' || undefined, 10_000, `process ${pid} to stop`);
}
