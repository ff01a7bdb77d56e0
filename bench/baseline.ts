// The baseline: a bare aedes broker with an empty handler, in its own process like the hub.
import { fork } from 'node:child_process';
import { join } from 'node:path';

export interface BareBroker {
  port: number;
  pid: number;
  received(): Promise<number>;
  close(): Promise<void>;
}

export async function startBareAedes(): Promise<BareBroker> {
  const child = fork(join(import.meta.dirname, 'bare-broker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: unknown) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`bare aedes exited with ${code}`)));
  });
  return {
    port,
    pid: child.pid ?? 0,
    received: () => new Promise<number>((resolve) => {
      child.once('message', (m: unknown) => resolve((m as { count: number }).count));
      child.send('count');
    }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.send('stop');
      await exited;
    },
  };
}
