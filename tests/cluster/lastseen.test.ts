// Last-seen in Redis and the leader's sweep, against a real redis-server: devices moving between
// hubs never become offline; a silent device is reported once, from data any hub accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dueOffline, LastSeenSweep, type OfflineInput } from '../../src/cluster/lastseen.js';
import { StreamProducer } from '../../src/cluster/stream.js';
import { silenceThresholdMs } from '../../src/core/offline.js';
import type { Reading } from '../../src/core/domain.js';
import { RuleEngine } from '../../src/rules/engine.js';
import { effectiveRules } from '../../src/rules/resolve.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { device } from '../rules/fixtures.js';

const reading = (id: string, ts: number): Reading => ({ device: id, kind: 'smoke', ts, values: { alarm: false } });

describe('dueOffline (pure): the one definition of offline applied to last-seen times', () => {
  const silence = (d: string): number | undefined => (d === 'gone' ? undefined : d === 'slow' ? 3_600_000 : 300_000);
  it('reports exactly the devices at or past lastSeen + their silence threshold', () => {
    const seen = [{ device: 'a', lastSeen: 0 }, { device: 'b', lastSeen: 1 }, { device: 'slow', lastSeen: 0 }, { device: 'gone', lastSeen: 0 }];
    expect(dueOffline(seen, silence, 299_999)).toEqual([]);
    expect(dueOffline(seen, silence, 300_000)).toEqual([{ device: 'a', lastSeen: 0, deadline: 300_000 }]);
    expect(dueOffline(seen, silence, 300_001).map((o) => o.device)).toEqual(['a', 'b']);
    expect(dueOffline(seen, silence, 3_600_000).map((o) => o.device)).toEqual(['a', 'b', 'slow']);
  });
});

describe('last-seen sweep against a real redis-server', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  }, 60_000);
  afterAll(async () => {
    await redis?.cleanup();
  });

  it('a device that moves to the other hub is never offline; a silent one is reported once per outage', async () => {
    const r = redis.client();
    await r.flushall();
    const hubA = new StreamProducer(r, { hub: 'a' });
    const hubB = new StreamProducer(redis.client(), { hub: 'b' });
    let now = 1_000_000;
    const threshold = silenceThresholdMs(60); // 5 min for a 60 s device
    const offline: OfflineInput[] = [];
    const seen: Array<[string, number]> = [];
    const sweep = new LastSeenSweep(r, { silenceMs: () => threshold, minSilenceMs: threshold, now: () => now, onOffline: (o) => offline.push(o), onSeen: (d, t) => seen.push([d, t]) });
    await hubA.add({ type: 'reading', reading: reading('mover', now) }, now);
    await hubA.add({ type: 'reading', reading: reading('quiet', now) }, now);
    // hub a dies: its device's Last Will is only a hint (presence never touches last-seen) ...
    await hubB.add({ type: 'presence', event: { device: 'mover', ts: now + 1000, online: false, cause: 'lwt' } }, now + 1000);
    // ... and the device goes on publishing through hub b every minute
    for (let t = 60_000; t <= 600_000; t += 60_000) {
      now = 1_000_000 + t;
      await hubB.add({ type: 'reading', reading: reading('mover', now) }, now);
      await sweep.sweep();
    }
    expect(offline.map((o) => o.device)).toEqual(['quiet']);
    expect(offline[0]).toEqual({ device: 'quiet', lastSeen: 1_000_000, deadline: 1_000_000 + threshold });
    expect(seen.filter(([d]) => d === 'mover').at(-1)).toEqual(['mover', now]);
    // the quiet device speaks again, then falls silent again: a new outage, reported anew
    await hubA.add({ type: 'deviceEvent', event: { device: 'quiet', ts: now, type: 'tamper' } }, now);
    await sweep.sweep();
    now += threshold;
    await hubB.add({ type: 'reading', reading: reading('mover', now) }, now);
    await sweep.sweep();
    expect(offline.map((o) => o.device)).toEqual(['quiet', 'quiet']);
  });

  it('a new leader inherits every deadline: its first sweep reads all of last-seen into the engine', async () => {
    const r = redis.client();
    await r.flushall();
    const d = device('smoke', { id: 's1', intervalS: 60 });
    await new StreamProducer(r, { hub: 'a' }).add({ type: 'reading', reading: reading('s1', 50_000) }, 50_000);
    const engine = new RuleEngine({ timezone: 'Asia/Shanghai', rulesFor: (x) => effectiveRules(x, []) });
    engine.addDevice(d, 200_000); // a leader starting late: its own silence clock would start now
    const sweep = new LastSeenSweep(r, { silenceMs: () => 300_000, minSilenceMs: 300_000, now: () => 200_000, onOffline: () => undefined, onSeen: (id, t, initial) => engine.noteSeen(id, t, initial) });
    await sweep.sweep();
    // the engine judges from the data the cluster saw at 50 s, not from its own start at 200 s
    expect(engine.nextDeadline()).toBe(350_000); // 50 s + 5 min, not 200 s + 5 min
    expect(engine.tick(349_999)).toEqual([]);
    expect(engine.tick(350_000).map((t) => t.rule.id)).toEqual(['offline']);
  });

  it('data seen by any hub moves the deadline and cancels a drop hint; older data does not', () => {
    const engine = new RuleEngine({ timezone: 'Asia/Shanghai', rulesFor: (x) => effectiveRules(x, []) });
    const d = device('smoke', { id: 's1', intervalS: 60 });
    engine.addDevice(d, 0);
    engine.onReading(reading('s1', 10_000), d, 10_000);
    engine.onPresence({ device: 's1', ts: 20_000, online: false, cause: 'timeout' }, d, 20_000); // grace 2 min
    engine.noteSeen('s1', 15_000); // older than the drop: the hint stands
    expect(engine.tick(140_000).map((t) => t.rule.id)).toEqual(['offline']);
    const e2 = new RuleEngine({ timezone: 'Asia/Shanghai', rulesFor: (x) => effectiveRules(x, []) });
    e2.addDevice(d, 0);
    e2.onReading(reading('s1', 10_000), d, 10_000);
    e2.onPresence({ device: 's1', ts: 20_000, online: false, cause: 'timeout' }, d, 20_000);
    e2.noteSeen('s1', 21_000); // the device published through the other hub: no outage
    expect(e2.tick(140_000)).toEqual([]);
    expect(e2.tick(320_999)).toEqual([]);
    expect(e2.tick(321_000).map((t) => t.rule.id)).toEqual(['offline']); // then silence judges it
  });
});
