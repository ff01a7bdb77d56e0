// Readings, status and events stay in the hub that ingests them; commands, acks, error answers and
// aedes' $SYS traffic go through the shared emitter (Redis in cluster mode).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { AedesOptions } from 'aedes';
import { splitEmitter, staysOnHub } from '../../src/broker/cluster.js';

type Emitter = NonNullable<AedesOptions['mq']>;
const mqemitter = createRequire(import.meta.url)('mqemitter') as (opts?: object) => Emitter;

describe('the cluster broker emitter split', () => {
  it('keeps what a device publishes for the hub on the hub, and sends everything else between hubs', () => {
    expect(['reading', 'status', 'event'].map((t) => staysOnHub(`gridwatch/v1/gas-1/${t}`))).toEqual([true, true, true]);
    expect(['cmd', 'cmd/ack', 'error'].map((t) => staysOnHub(`gridwatch/v1/gas-1/${t}`))).toEqual([false, false, false]);
    expect(staysOnHub('$SYS/gridwatch-a/heartbeat')).toBe(false);
  });

  it('emits on one side by topic and hears both', async () => {
    const local = mqemitter();
    const shared = mqemitter();
    const split = splitEmitter(local, shared);
    const heard: string[] = [];
    await new Promise<void>((r) => split.on('gridwatch/v1/+/#', (p: { topic: string }, cb: () => void) => { heard.push(p.topic); cb(); }, () => r()));
    const sides: string[] = [];
    local.on('#', (p: { topic: string }, cb: () => void) => { sides.push(`local ${p.topic}`); cb(); });
    shared.on('#', (p: { topic: string }, cb: () => void) => { sides.push(`shared ${p.topic}`); cb(); });
    for (const topic of ['gridwatch/v1/gas-1/reading', 'gridwatch/v1/gas-1/cmd']) {
      await new Promise<void>((r) => split.emit({ topic, payload: Buffer.from('{}'), cmd: 'publish', qos: 0, retain: false, dup: false } as never, () => r()));
    }
    expect(sides).toEqual(['local gridwatch/v1/gas-1/reading', 'shared gridwatch/v1/gas-1/cmd']);
    expect(heard).toEqual(['gridwatch/v1/gas-1/reading', 'gridwatch/v1/gas-1/cmd']);
  });
});
