// The accepted-input stream between the hubs' ingest and the one rules leader (Redis Streams).
// Every hub XADDs what it accepted (readings, presence, device events, command acks) to `gw:rules`
// and ZADDs the device's last-seen in the same round trip; the leader reads with consumer group
// `rules`, hands entries to its handler one at a time, in stream order (so per device in order),
// and XACKs an entry only after its handler resolved. On take-over it first reclaims the entries
// the old leader read but never acked (XAUTOCLAIM), so nothing accepted is skipped; a replay is at
// least once, and the handler's effects are idempotent per (device, reading time).
// Acks are group-committed, like the InfluxDB writer's POSTs: one ack script is in flight at a
// time and the entries handled meanwhile go in the next one, with the rule state of every device
// they touched (so the saved state always matches what is acked). The next entry's handler does
// not wait for the ack round trip; at most `count` handled entries wait for an ack, so a leader
// killed mid-stream leaves at most that many to be handled again.
// The ack is fenced too: a Lua script XACKs (and saves the rule state) only while Redis's copy of
// the lease epoch is the consumer's, so a leader that woke up from a freeze cannot ack or
// overwrite the new leader's rule state. A decommissioned device's saved state is deleted by the
// same script (forget()), after any ack already on its way: an ack in flight cannot bring it back.
import type { Redis } from 'ioredis';
import type { RelayInput } from '../core/events.js';
import { GridwatchError } from '../core/errors.js';
import type { Fence } from '../core/fence.js';
import type { Logger } from '../core/logger.js';

export const STREAM_KEY = 'gw:rules';
export const GROUP = 'rules';
export const LASTSEEN_KEY = 'gw:lastseen';
export const RULESTATE_KEY = 'gw:rulestate';
/** Redis's copy of the rules lease epoch (the fence for acks and rule-state writes) */
export const EPOCH_KEY = 'gw:rules:epoch';

/** What every hub relays (src/core/events.ts RelayInput), one stream entry each. */
export type ClusterInput = RelayInput;

export interface StreamEntry {
  /** the stream entry id */
  id: string;
  device: string;
  /** the hub that accepted it */
  hub: string;
  /** when that hub accepted it (its clock, ms) */
  at: number;
  input: ClusterInput;
}

function deviceOf(input: ClusterInput): string {
  switch (input.type) {
    case 'reading': return input.reading.device;
    case 'cmdAck': return input.ack.device;
    default: return input.event.device;
  }
}

/** Data (a reading or a device event) is a sign of life; presence is only a hint (src/core/offline.ts). */
export function isData(input: ClusterInput): boolean {
  return input.type === 'reading' || input.type === 'deviceEvent';
}

export interface ProducerOptions {
  hub: string;
  /** approximate stream length kept (MAXLEN ~); entries beyond it are trimmed, acked or not */
  maxLen?: number;
}

/** Every hub's side: one XADD (+ ZADD for data) per accepted input, pipelined in one round trip. */
export class StreamProducer {
  private readonly maxLen: number;

  constructor(private readonly redis: Redis, private readonly opts: ProducerOptions) {
    this.maxLen = opts.maxLen ?? 1_000_000;
  }

  async add(input: ClusterInput, at: number): Promise<string> {
    const device = deviceOf(input);
    const p = this.redis.pipeline();
    p.xadd(STREAM_KEY, 'MAXLEN', '~', String(this.maxLen), '*', 'd', device, 'h', this.opts.hub, 'a', String(at), 'j', JSON.stringify(input));
    // GT: a hub with a slower clock never moves a device's last-seen backwards
    if (isData(input)) p.zadd(LASTSEEN_KEY, 'GT', at, device);
    const res = await p.exec();
    const [err, id] = res?.[0] ?? [new Error('no reply to XADD')];
    if (err) throw err;
    const zerr = res?.[1]?.[0];
    if (zerr) throw zerr;
    return id as string;
  }
}

export function parseEntry(id: string, fields: string[]): StreamEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
  const input = JSON.parse(f.j ?? 'null') as ClusterInput | null;
  if (!input || typeof input !== 'object' || !['reading', 'presence', 'deviceEvent', 'cmdAck'].includes(input.type)) {
    throw new Error(`stream entry ${id} holds no input`);
  }
  return { id, device: f.d ?? deviceOf(input), hub: f.h ?? '?', at: Number(f.a), input };
}

// KEYS: stream, epoch key, rule-state hash; ARGV: group, epoch, n, m, n entry ids, m fields to
// delete, then field/value pairs to save (deleted first: a state saved now is newer than the
// deletion). (unpack of a few thousand arguments stays far below Lua's stack limit: a batch holds
// at most `count` ids and one state per device in it.)
const ACK_SCRIPT = `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return redis.error_reply('FENCED rules epoch is ' .. tostring(redis.call('GET', KEYS[2]))) end
local n = tonumber(ARGV[3])
local m = tonumber(ARGV[4])
if m > 0 then redis.call('HDEL', KEYS[3], unpack(ARGV, 5 + n, 4 + n + m)) end
if #ARGV > 4 + n + m then redis.call('HSET', KEYS[3], unpack(ARGV, 5 + n + m)) end
if n == 0 then return 0 end
return redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 5, 4 + n))`;

// KEYS: epoch key; ARGV: epoch. Only ever moves forward.
const EPOCH_SCRIPT = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0`;

export interface ConsumerOptions {
  /** this hub's consumer name in the group */
  consumer: string;
  /** resolves once the entry's effects are durable; a rejection leaves it un-acked and retried */
  handler: (entry: StreamEntry) => Promise<void>;
  /**
   * what to save in gw:rulestate with the entry's ack (field → value), e.g. the device's rule state;
   * asked when the ack leaves, for the last entry of each device in it (the state its entries left)
   */
  stateOf?: (entry: StreamEntry) => Record<string, string> | undefined;
  /** told the ids of every ack Redis took (tests) */
  onAcked?: (ids: readonly string[]) => void;
  /** entries per read, and the most handled entries waiting for their ack; default 100 */
  count?: number;
  /** XREADGROUP BLOCK; default 1000 ms (also how long stop() may wait) */
  blockMs?: number;
  /** pause before retrying an entry whose handler failed; default 500 ms */
  retryMs?: number;
  logger?: Logger;
}

export interface ConsumerStats { reclaimed: number; handled: number; retried: number }

/**
 * The leader's side. `run(fence)` claims the group's pending entries, handles them, then reads new
 * ones until stop() or until the fence no longer holds; it resolves when it has stopped. Give it a
 * Redis connection of its own: XREADGROUP BLOCK holds the connection.
 */
export class StreamConsumer {
  private running = false;
  private done: Promise<void> | undefined;
  /** handled entries whose ack has not left yet, in stream order (no entry: unreadable, acked without state) */
  private unacked: Array<{ id: string; entry?: StreamEntry }> = [];
  private acking: Promise<void> | undefined;
  /** a handler is running: its device's rule state may be half-way, so no state is taken now */
  private handling = false;
  /** set when an ack was refused for a stale epoch: the loop stops */
  private fenced = false;
  /** gw:rulestate fields to delete with the next ack (forget()) */
  private forgotten = new Set<string>();
  /** the epoch of the running loop */
  private epoch: number | undefined;
  readonly stats: ConsumerStats = { reclaimed: 0, handled: 0, retried: 0 };

  constructor(private readonly redis: Redis, private readonly opts: ConsumerOptions) {}

  /** Creates the group (from the stream's start, so nothing produced before the first leader is skipped). */
  static async ensureGroup(redis: Redis): Promise<void> {
    try {
      await redis.xgroup('CREATE', STREAM_KEY, GROUP, '0', 'MKSTREAM');
    } catch (e) {
      if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
    }
  }

  run(fence: Fence): Promise<void> {
    if (this.done) return this.done;
    this.running = true;
    this.fenced = false;
    const epoch = fence.epoch() ?? 0;
    this.epoch = epoch;
    this.done = this.loop(fence).finally(async () => {
      // what was handled is acked (one try) before the loop counts as ended; what is not stays
      // pending and is reclaimed by the next run or leader (a fenced ack is refused anyway)
      this.running = false;
      await this.settleAcks(epoch);
      this.unacked = [];
      this.forgotten.clear();
      this.done = undefined;
    });
    return this.done;
  }

  /**
   * Deletes a device's saved rule state (it was decommissioned) with the next ack, after every
   * ack already taken; false when the consumer is not running (the caller deletes it itself).
   */
  forget(field: string): boolean {
    if (!this.running || this.epoch === undefined || this.fenced) return false;
    this.forgotten.add(field);
    this.flushAcks(this.epoch);
    return true;
  }

  /** Stops after the entry in hand; resolves when the loop has ended and its acks have left. */
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private get count(): number {
    return this.opts.count ?? 100;
  }

  private async loop(fence: Fence): Promise<void> {
    const epoch = fence.epoch();
    if (epoch === undefined) return;
    await StreamConsumer.ensureGroup(this.redis);
    await this.redis.eval(EPOCH_SCRIPT, 1, EPOCH_KEY, String(epoch));
    // 1. what any earlier leader read but never acked, oldest first (their ids precede every new entry)
    for (let cursor = '0-0'; this.running;) {
      const [next, claimed, deleted] = (await this.redis.xautoclaim(STREAM_KEY, GROUP, this.opts.consumer, 0, cursor, 'COUNT', this.count)) as [string, Array<[string, string[]] | null>, string[]?];
      for (const gone of deleted ?? []) {
        // trimmed by MAXLEN before anyone handled it: say so loudly, and stop asking for it
        this.opts.logger?.error({ id: gone }, 'stream entry trimmed before the rules leader handled it');
        await this.redis.xack(STREAM_KEY, GROUP, gone);
      }
      for (const raw of claimed) {
        if (!raw || !this.running) continue;
        this.stats.reclaimed++;
        if (!(await this.handle(raw[0], raw[1], epoch))) return;
      }
      if (next === '0-0') break;
      cursor = next;
    }
    // 2. new entries
    while (this.running && !this.fenced && fence.epoch() === epoch) {
      let res: Array<[string, Array<[string, string[]]>]> | null;
      try {
        res = (await this.redis.xreadgroup('GROUP', GROUP, this.opts.consumer, 'COUNT', this.count, 'BLOCK', this.opts.blockMs ?? 1000, 'STREAMS', STREAM_KEY, '>')) as typeof res;
      } catch (e) {
        this.opts.logger?.error({ err: e }, 'reading the rules stream failed; retrying');
        if (!(await this.pause())) return;
        continue;
      }
      for (const [, entries] of res ?? []) {
        for (const [id, fields] of entries) {
          // an entry read but not handled stays pending: the next run (or leader) reclaims it
          if (!this.running) return;
          if (!(await this.handle(id, fields, epoch))) return;
        }
      }
    }
  }

  /** Handles one entry until it succeeds (order is kept: nothing after it runs first), then queues its ack; false when fenced or stopped. */
  private async handle(id: string, fields: string[], epoch: number): Promise<boolean> {
    let entry: StreamEntry | undefined;
    try {
      entry = parseEntry(id, fields);
    } catch (e) {
      this.opts.logger?.error({ id, err: e }, 'unreadable stream entry skipped');
    }
    for (;;) {
      if (this.fenced) return false;
      try {
        this.handling = true;
        if (entry) await this.opts.handler(entry);
        break;
      } catch (e) {
        if (e instanceof GridwatchError && e.code === 'GW_ERR_LEASE_LOST') {
          this.opts.logger?.warn({ id, err: e.message }, 'rules leader fenced: stream entry left for the new leader');
          return false;
        }
        this.stats.retried++;
        this.opts.logger?.error({ id, device: entry?.device, err: e }, 'stream entry not handled; retrying it');
        if (!(await this.pause())) return false;
      } finally {
        this.handling = false;
      }
    }
    this.unacked.push({ id, entry });
    this.flushAcks(epoch);
    // bounded: at most `count` handled entries wait for an ack (what a killed leader leaves to replay)
    while (this.unacked.length >= this.count && this.acking && !this.fenced) await this.acking;
    return !this.fenced;
  }

  /**
   * Sends the queued acks unless an ack is in flight (its end sends what gathered meanwhile) or a
   * handler is running (the rule state is taken now, and must not hold an entry whose effects
   * are not durable yet: a new leader would take that entry as evaluated).
   */
  private flushAcks(epoch: number): void {
    if (this.acking || this.handling || (this.unacked.length === 0 && this.forgotten.size === 0) || this.fenced) return;
    const batch = this.unacked;
    const forgotten = [...this.forgotten];
    this.unacked = [];
    this.forgotten.clear();
    this.acking = this.ackUntilDone(batch.map((b) => b.id), forgotten, this.statePairs(batch), epoch).finally(() => {
      this.acking = undefined;
      this.flushAcks(epoch);
    });
  }

  /** Everything handled is acked (or refused by the fence) before this resolves. */
  private async settleAcks(epoch: number): Promise<void> {
    this.flushAcks(epoch);
    while (this.acking) await this.acking;
  }

  /** One batch's ack, retried while Redis fails it; a stale epoch stops the consumer. */
  private async ackUntilDone(ids: string[], forgotten: string[], pairs: string[], epoch: number): Promise<void> {
    for (;;) {
      try {
        await this.ack(ids, forgotten, pairs, epoch);
        return;
      } catch (e) {
        if (e instanceof GridwatchError && e.code === 'GW_ERR_LEASE_LOST') {
          this.fenced = true;
          return;
        }
        this.stats.retried++;
        this.opts.logger?.error({ entries: ids.length, err: e }, 'stream ack failed; retrying it');
        // stopped: the entries stay pending, and the next run (or leader) handles them again
        if (!(await this.pause()) || this.fenced) return;
      }
    }
  }

  /** Waits retryMs; false when stopped meanwhile. */
  private async pause(): Promise<boolean> {
    if (!this.running) return false;
    await new Promise((r) => setTimeout(r, this.opts.retryMs ?? 500));
    return this.running;
  }

  /** The rule state of each device after the last of its entries in `batch` (taken between handlers). */
  private statePairs(batch: ReadonlyArray<{ entry?: StreamEntry }>): string[] {
    const last = new Map<string, StreamEntry>();
    for (const { entry } of batch) if (entry) last.set(entry.device, entry);
    const pairs: string[] = [];
    for (const e of last.values()) {
      const state = this.opts.stateOf?.(e);
      if (state) for (const [k, v] of Object.entries(state)) pairs.push(k, v);
    }
    return pairs;
  }

  private async ack(ids: readonly string[], forgotten: readonly string[], pairs: readonly string[], epoch: number): Promise<void> {
    try {
      await this.redis.eval(ACK_SCRIPT, 3, STREAM_KEY, EPOCH_KEY, RULESTATE_KEY, GROUP, String(epoch), String(ids.length), String(forgotten.length), ...ids, ...forgotten, ...pairs);
    } catch (e) {
      if (String((e as Error).message).includes('FENCED')) {
        this.opts.logger?.warn({ entries: ids.length, first: ids[0], epoch, err: (e as Error).message }, 'rules leader fenced: ack refused');
        throw new GridwatchError('GW_ERR_LEASE_LOST', `stream ack refused: this hub's rules epoch ${epoch} is no longer the lease's`, { details: { id: ids[0], epoch } });
      }
      throw e;
    }
    this.stats.handled += ids.length;
    if (ids.length > 0) this.opts.onAcked?.(ids);
  }
}
