// The accepted-input stream against a real redis-server and PostgreSQL: producers on the hubs'
// side, the leader's consumer group in child processes, one of them killed mid-stream.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { GROUP, LASTSEEN_KEY, RULESTATE_KEY, STREAM_KEY, StreamConsumer, StreamProducer, type StreamEntry } from '../../src/cluster/stream.js';
import type { Reading } from '../../src/core/domain.js';
import { stopChild } from '../helpers/engines.js';
import { until } from '../helpers/hub.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/stream-child.ts', import.meta.url));

type Line = Record<string, unknown>;
interface Child { proc: ChildProcess; lines: Line[] }

const reading = (device: string, seq: number, ts: number): Reading => ({ device, kind: 'gas', ts, seq, values: { lel: seq } });

describe('rules stream: every hub produces, the leader consumes with a consumer group', () => {
  let redis: TestRedis;
  let postgres: TestPostgres;
  let n = 0;
  const children: Child[] = [];
  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
  }, 60_000);
  afterEach(async () => {
    for (const c of children.splice(0)) await stopChild(c.proc, 'SIGKILL');
  });
  afterAll(async () => {
    await Promise.all([redis?.cleanup(), postgres?.cleanup()]);
  });

  it('XADDs each input with its hub and time, and ZADDs last-seen for data only, never backwards', async () => {
    const r = redis.client();
    await r.flushall();
    const a = new StreamProducer(r, { hub: 'a' });
    const b = new StreamProducer(r, { hub: 'b' });
    await a.add({ type: 'reading', reading: reading('d1', 1, 1000) }, 5000);
    await b.add({ type: 'deviceEvent', event: { device: 'd2', ts: 6000, type: 'tamper' } }, 6000);
    await b.add({ type: 'presence', event: { device: 'd3', ts: 7000, online: false, cause: 'lwt' } }, 7000);
    await b.add({ type: 'reading', reading: reading('d1', 2, 900) }, 4000); // b's clock is behind
    const entries = await r.xrange(STREAM_KEY, '-', '+');
    expect(entries.map(([, f]) => [f[1], f[3], f[5]])).toEqual([['d1', 'a', '5000'], ['d2', 'b', '6000'], ['d3', 'b', '7000'], ['d1', 'b', '4000']]);
    expect(await r.zrange(LASTSEEN_KEY, 0, -1, 'WITHSCORES')).toEqual(['d1', '5000', 'd2', '6000']);
  });

  it('acks only after the handler resolved; a failing handler is retried in order, nothing after it runs first', async () => {
    const r = redis.client();
    await r.flushall();
    const p = new StreamProducer(r, { hub: 'a' });
    for (let i = 1; i <= 5; i++) await p.add({ type: 'reading', reading: reading('d1', i, i * 1000) }, i * 1000);
    const seen: number[] = [];
    let failures = 1;
    let pendingWhileHandling: unknown[] = [];
    const fence = { name: 'rules', epoch: () => 1 };
    const consumer = new StreamConsumer(redis.client(), {
      consumer: 'solo', retryMs: 20, blockMs: 100,
      handler: async (e: StreamEntry) => {
        const seq = (e.input as { reading: Reading }).reading.seq as number;
        if (seq === 3) {
          await new Promise((res) => setTimeout(res, 20)); // time for an ack sent too early to land
          pendingWhileHandling = (await r.xpending(STREAM_KEY, GROUP, e.id, e.id, 1)) as unknown[];
          if (failures-- > 0) throw new Error('store down');
        }
        seen.push(seq);
      },
    });
    const run = consumer.run(fence);
    await until(() => seen.length === 5, 10_000, 'five entries handled');
    await until(async () => Number((await r.xpending(STREAM_KEY, GROUP))[0]) === 0 || undefined, 10_000, 'every entry acked');
    await consumer.stop();
    await run;
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(pendingWhileHandling).toHaveLength(1); // entry 3 was still un-acked while its handler ran
    expect(consumer.stats.retried).toBe(1);
  });

  it('group-commits acks, and takes a device\'s rule state only between handlers (never half-way through an entry)', async () => {
    const r = redis.client();
    await r.flushall();
    const p = new StreamProducer(r, { hub: 'a' });
    for (let i = 1; i <= 6; i++) await p.add({ type: 'reading', reading: reading('d1', i, i * 1000) }, i * 1000);
    let inHandler = 0;
    let state = 0;
    const takenMidway: number[] = [];
    const acks: string[][] = [];
    const consumer = new StreamConsumer(redis.client(), {
      consumer: 'solo', blockMs: 100,
      handler: async (e: StreamEntry) => {
        inHandler++;
        state = (e.input as { reading: Reading }).reading.seq as number; // the engine moves first...
        // ...and the case store takes a while: the acks of the entries before land meanwhile
        if (state % 3 === 0) await new Promise((res) => setTimeout(res, 50));
        inHandler--;
      },
      stateOf: (e) => {
        if (inHandler > 0) takenMidway.push(state);
        return { [e.device]: String(state) };
      },
      onAcked: (ids) => acks.push([...ids]),
    });
    const run = consumer.run({ name: 'rules', epoch: () => 1 });
    await until(() => acks.flat().length === 6 || undefined, 10_000, 'every entry acked');
    await consumer.stop();
    await run;
    expect(takenMidway).toEqual([]);
    expect(acks.length).toBeLessThan(6); // fewer ack round trips than entries
    expect(await r.hget(RULESTATE_KEY, 'd1')).toBe('6');
    expect(Number((await r.xpending(STREAM_KEY, GROUP))[0])).toBe(0);
  });

  it('forget(): a decommissioned device\'s saved state is deleted after the ack in flight that carried it; a later state is saved again', async () => {
    const r = redis.client();
    await r.flushall();
    const p = new StreamProducer(r, { hub: 'a' });
    await p.add({ type: 'reading', reading: reading('d1', 1, 1000) }, 1000);
    await p.add({ type: 'reading', reading: reading('d2', 1, 1000) }, 1000);
    /** the engine's devices and the state each would export */
    const engine = new Map<string, string>();
    const acks: string[][] = [];
    let forgotten: boolean | undefined;
    const consumer = new StreamConsumer(redis.client(), {
      consumer: 'solo', blockMs: 100,
      handler: async (e: StreamEntry) => {
        const seq = (e.input as { reading: Reading }).reading.seq as number;
        if (e.device === 'd2') {
          // d1 is decommissioned while the ack of its first entry (with its state) is on its way
          engine.delete('d1');
          forgotten = consumer.forget('d1');
        } else if (seq === 2) {
          engine.set('d1', 'fresh'); // re-provisioned with the same id: a new state, saved again
        } else {
          engine.set('d1', 'old');
        }
        engine.set('d2', 'd2-state');
        if (e.device === 'd2') {
          // wait for the ack of d1's first entry to land (as it would, late) before this handler ends
          await until(async () => (await r.hget(RULESTATE_KEY, 'd1')) === 'old' || undefined, 5000, 'the ack in flight to land');
        }
      },
      stateOf: (e) => (engine.has(e.device) ? { [e.device]: engine.get(e.device) as string } : undefined),
      onAcked: (ids) => acks.push([...ids]),
    });
    const run = consumer.run({ name: 'rules', epoch: () => 1 });
    await until(() => acks.flat().length === 2 || undefined, 10_000, 'the first two entries acked');
    expect(forgotten).toBe(true);
    // the deletion went with the second ack (one script), after the first one's state
    expect(await r.hgetall(RULESTATE_KEY)).toEqual({ d2: 'd2-state' });
    await p.add({ type: 'reading', reading: reading('d1', 2, 2000) }, 2000);
    const states = await until(async () => {
      const all = await r.hgetall(RULESTATE_KEY);
      return all.d1 === 'fresh' ? all : undefined;
    }, 10_000, 'the re-provisioned device\'s state');
    expect(states).toEqual({ d1: 'fresh', d2: 'd2-state' });
    await consumer.stop();
    await run;
    expect(consumer.forget('d1')).toBe(false); // stopped: the caller deletes it itself
  });

  it('forget(): the deletion reaches Redis with no entry to ack', async () => {
    const r = redis.client();
    await r.flushall();
    await r.hset(RULESTATE_KEY, 'gone', 'old', 'kept', 'x');
    const consumer = new StreamConsumer(redis.client(), { consumer: 'solo', blockMs: 100, handler: async () => undefined });
    const run = consumer.run({ name: 'rules', epoch: () => 1 });
    await until(async () => (await r.get('gw:rules:epoch')) === '1' || undefined, 10_000, 'the consumer to run');
    expect(consumer.forget('gone')).toBe(true);
    await until(async () => (await r.hexists(RULESTATE_KEY, 'gone')) === 0 || undefined, 10_000, 'the field deleted');
    expect(await r.hgetall(RULESTATE_KEY)).toEqual({ kept: 'x' });
    await consumer.stop();
    await run;
  });

  it('a leader killed mid-stream: the next one reclaims its un-acked entries and every entry has one effect, in order per device', async () => {
    const r = redis.client();
    await r.flushall();
    const url = await postgres.createDatabase(`stream_${++n}`);
    const admin = new pg.Client({ connectionString: url });
    admin.on('error', () => undefined);
    await admin.connect();
    onTestFinished(() => admin.end().catch(() => undefined));
    await admin.query('CREATE TABLE effects (n serial, device text NOT NULL, seq int NOT NULL, entry text NOT NULL, holder text NOT NULL, PRIMARY KEY (device, seq))');
    const start = (holder: string): Child => {
      const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
        cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, GW_TEST_PG_URL: url, GW_TEST_REDIS_URL: redis.url, GW_TEST_HOLDER: holder },
      });
      const lines: Line[] = [];
      createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
        try {
          lines.push(JSON.parse(l) as Line);
        } catch {
          // not ours
        }
      });
      const c = { proc, lines };
      children.push(c);
      return c;
    };
    const TOTAL = 300;
    const DEVICES = 10;
    const a = start('a');
    await until(() => a.lines.find((l) => l.event === 'leading'), 30_000, 'a to lead');
    const b = start('b');
    await until(() => b.lines.find((l) => l.event === 'started'), 30_000, 'b to contend');
    const producers = [new StreamProducer(r, { hub: 'h1' }), new StreamProducer(redis.client(), { hub: 'h2' })];
    for (let i = 0; i < TOTAL; i++) {
      const device = `d${i % DEVICES}`;
      const seq = Math.floor(i / DEVICES);
      await (producers[i % 2] as StreamProducer).add({ type: 'reading', reading: reading(device, seq, 1000 + seq) }, Date.now());
    }
    await until(() => a.lines.filter((l) => l.event === 'handled').length >= 60 || undefined, 30_000, 'a to be mid-stream');
    const killedAt = Date.now();
    a.proc.kill('SIGKILL');
    await until(async () => Number((await admin.query('SELECT count(*) AS c FROM effects')).rows[0].c) === TOTAL || undefined, 60_000, 'every entry to have its effect');
    await until(async () => Number((await r.xpending(STREAM_KEY, GROUP))[0]) === 0 || undefined, 10_000, 'nothing left pending');
    const leadAt = Number(b.lines.find((l) => l.event === 'leading')?.at);
    const firstB = Number(b.lines.find((l) => l.event === 'handled')?.at);
    console.info(`stream hand-over after kill -9: b led after ${leadAt - killedAt} ms, handled its first entry after ${firstB - killedAt} ms`);

    // b reclaimed what a had read but not acked, and never handled an entry a had acked
    expect(b.lines.some((l) => l.event === 'reclaimed')).toBe(true);
    const aHandled = new Set(a.lines.filter((l) => l.event === 'handled').map((l) => String(l.id)));
    const aAcked = new Set(a.lines.filter((l) => l.event === 'acked').flatMap((l) => l.ids as string[]));
    const bHandled = b.lines.filter((l) => l.event === 'handled').map((l) => String(l.id));
    const all = new Set([...aHandled, ...bHandled]);
    expect(all.size).toBe(TOTAL);
    expect(aAcked.size).toBeGreaterThan(0);
    expect(bHandled.filter((id) => aAcked.has(id))).toEqual([]);
    // handled by both: only what a handled but had not acked yet (acks are group-committed: at
    // most `count` = 10 wait for one), plus the entry it was in the middle of; effects are idempotent
    expect(bHandled.filter((id) => aHandled.has(id)).length).toBeLessThanOrEqual(10 + 1);
    // one effect per (device, seq) — the primary key — and per device in the order produced
    const effects = (await admin.query<{ device: string; seq: number }>('SELECT device, seq FROM effects ORDER BY n')).rows;
    for (let d = 0; d < DEVICES; d++) {
      const seqs = effects.filter((e) => e.device === `d${d}`).map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(seqs).toHaveLength(TOTAL / DEVICES);
    }
  }, 120_000);
});
