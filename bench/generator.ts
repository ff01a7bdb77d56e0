// The load generator's parent side: forks generator-child.ts processes (each with its share of
// the devices) and runs one request on all of them at once.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BenchDevice } from './fixture.js';
import type { Request } from './generator-child.js';

export interface Generators {
  pids: number[];
  /** runs `req(share, index)` on every child (each gets its own slice of devices where it takes any) */
  all<T>(req: (i: number) => Request): Promise<T[]>;
  close(): Promise<void>;
}

/** Splits `items` into `n` nearly equal consecutive slices. */
export function split<T>(items: T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  items.forEach((x, i) => out[i % n]?.push(x));
  return out;
}

export async function startGenerators(n: number): Promise<Generators> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const child = fork(join(import.meta.dirname, 'generator-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    });
    children.push(child);
  }
  let nextId = 0;
  const call = (child: ChildProcess, req: Request): Promise<unknown> => new Promise((resolve, reject) => {
    const id = ++nextId;
    const onMessage = (m: { id?: number; result?: unknown; error?: string }): void => {
      if (m.id !== id) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (m.error !== undefined) reject(new Error(`load generator: ${m.error}`));
      else resolve(m.result);
    };
    const onExit = (code: number | null): void => reject(new Error(`load generator exited with ${code} during ${req.op}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ id, req });
  });
  return {
    pids: children.map((c) => c.pid ?? 0),
    all: <T>(req: (i: number) => Request) => Promise.all(children.map((c, i) => call(c, req(i)))) as Promise<T[]>,
    close: async () => {
      await Promise.all(children.map((c) => new Promise<void>((r) => {
        if (c.exitCode !== null) return r();
        c.once('exit', () => r());
        c.disconnect();
      })));
    },
  };
}

/** Connect `devices` as publishers, split over the generators. */
export function devicesFor(devices: BenchDevice[], n: number): BenchDevice[][] {
  return split(devices, n);
}
