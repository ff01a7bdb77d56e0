// The bench's load generator against a real (bare) aedes broker in its own process: its
// pre-encoded CONNECT / PUBLISH bytes are valid MQTT, QoS 1 completes on PUBACKs, and idle
// connections drop and come back. No timings are asserted (speed lives in `npm run bench`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBareAedes, type BareBroker } from '../../bench/baseline.js';
import { makeFixture } from '../../bench/fixture.js';
import { split, startGenerators, type Generators } from '../../bench/generator.js';
import { PacketReader, publishPacket } from '../../bench/wire.js';
import { until } from '../helpers/hub.js';

let broker: BareBroker;
let gen: Generators;
const fixture = makeFixture({ loadDevices: 4, idleDevices: 30, alarmDevices: 0, database: 'bench', mqttPort: 1, httpPort: 1, dataDir: '/nonexistent' });

beforeAll(async () => {
  broker = await startBareAedes();
  gen = await startGenerators(2);
}, 60_000);

afterAll(async () => {
  await gen?.close();
  await broker?.close();
});

describe('bench load generator', () => {
  it('publishes every pre-encoded reading at QoS 1 and QoS 0', async () => {
    const load = split(fixture.load, 2);
    await gen.all((i) => ({ op: 'connect', port: broker.port, devices: load[i] ?? [], concurrency: 4 }));
    await gen.all(() => ({ op: 'prepare', qos: 1, perDevice: 300, seqBase: 1 }));
    await gen.all(() => ({ op: 'go', window: 7 })); // resolves only once every PUBACK came back
    expect(await broker.received()).toBe(1_200);
    await gen.all(() => ({ op: 'prepare', qos: 0, perDevice: 100, seqBase: 1_000 }));
    await gen.all(() => ({ op: 'go', window: 7 }));
    await until(async () => (await broker.received()) === 1_600 || undefined, 20_000, 'QoS 0 readings');
    await gen.all(() => ({ op: 'closeLoad' }));
  });

  it('connects idle devices, drops them without DISCONNECT and reconnects them all', async () => {
    const idle = split(fixture.idle, 2);
    const first = await gen.all<{ count: number }>((i) => ({ op: 'idle', port: broker.port, devices: idle[i] ?? [], concurrency: 5 }));
    expect(first.map((r) => r.count)).toEqual([15, 15]);
    await gen.all(() => ({ op: 'dropIdle' }));
    const again = await gen.all<{ count: number }>(() => ({ op: 'reconnectIdle', port: broker.port, concurrency: 5 }));
    expect(again.map((r) => r.count)).toEqual([15, 15]);
    await gen.all(() => ({ op: 'closeIdle' }));
  });

  it('splits a byte stream into packets however TCP cuts it', () => {
    const packets = [publishPacket('a/b', 'x'.repeat(300), 1, 7), Buffer.from([0x40, 0x02, 0x00, 0x07]), publishPacket('c', '', 0)];
    const stream = Buffer.concat(packets);
    const seen: number[][] = [];
    const reader = new PacketReader((type, _first, body) => seen.push([type, body.length]));
    for (const b of stream) reader.push(Buffer.from([b]));
    expect(seen).toEqual([[3, 5 + 2 + 300], [4, 2], [3, 3]]);
  });
});
