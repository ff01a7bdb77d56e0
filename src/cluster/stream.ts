// The accepted-input stream between the hubs' ingest and the one rules leader (Redis Streams).
// Every hub XADDs what it accepted (readings, presence, device events, command acks) to `gw:rules`
// and ZADDs the device's last-seen in the same round trip; the leader reads with consumer group
// `rules`, hands entries to its handler one at a time, in stream order (so per device in order),
// and XACKs only after the handler resolved. On take-over it first reclaims the entries the old
// leader read but never acked (XAUTOCLAIM), so nothing accepted is skipped; a replay is at least
// once, and the handler's effects are idempotent per (device, reading time).
// The ack is fenced too: a Lua script XACKs (and saves the rule state) only while Redis's copy of
// the lease epoch is the consumer's, so a leader that woke up from a freeze cannot ack or
// overwrite the new leader's rule state.
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

// KEYS: stream, epoch key, rule-state hash; ARGV: group, epoch, id, then field/value pairs to save
const ACK_SCRIPT = `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return redis.error_reply('FENCED rules epoch is ' .. tostring(redis.call('GET', KEYS[2]))) end
if #ARGV > 3 then redis.call('HSET', KEYS[3], unpack(ARGV, 4)) end
return redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])`;

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
  /** what to save in gw:rulestate with the entry's ack (field → value), e.g. the device's rule state */
  stateOf?: (entry: StreamEntry) => Record<string, string> | undefined;
  /** entries per read; default 100 */
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
    this.done = this.loop(fence).finally(() => {
      this.running = false;
      this.done = undefined;
    });
    return this.done;
  }

  /** Stops after the entry in hand; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async loop(fence: Fence): Promise<void> {
    const epoch = fence.epoch();
    if (epoch === undefined) return;
    await StreamConsumer.ensureGroup(this.redis);
    await this.redis.eval(EPOCH_SCRIPT, 1, EPOCH_KEY, String(epoch));
    // 1. what any earlier leader read but never acked, oldest first (their ids precede every new entry)
    for (let cursor = '0-0'; this.running;) {
      const [next, claimed, deleted] = (await this.redis.xautoclaim(STREAM_KEY, GROUP, this.opts.consumer, 0, cursor, 'COUNT', this.opts.count ?? 100)) as [string, Array<[string, string[]] | null>, string[]?];
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
    while (this.running && fence.epoch() === epoch) {
      let res: Array<[string, Array<[string, string[]]>]> | null;
      try {
        res = (await this.redis.xreadgroup('GROUP', GROUP, this.opts.consumer, 'COUNT', this.opts.count ?? 100, 'BLOCK', this.opts.blockMs ?? 1000, 'STREAMS', STREAM_KEY, '>')) as typeof res;
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

  /** Handles one entry until it succeeds (order is kept: nothing after it runs first); false when fenced or stopped. */
  private async handle(id: string, fields: string[], epoch: number): Promise<boolean> {
    let entry: StreamEntry;
    try {
      entry = parseEntry(id, fields);
    } catch (e) {
      this.opts.logger?.error({ id, err: e }, 'unreadable stream entry skipped');
      return this.ack(id, epoch, undefined);
    }
    for (let handled = false; ;) {
      try {
        if (!handled) {
          await this.opts.handler(entry);
          handled = true; // a failed ack is retried alone: the handler does not run again
        }
        return await this.ack(id, epoch, this.opts.stateOf?.(entry));
      } catch (e) {
        if (e instanceof GridwatchError && e.code === 'GW_ERR_LEASE_LOST') {
          this.opts.logger?.warn({ id, err: e.message }, 'rules leader fenced: stream entry left for the new leader');
          return false;
        }
        this.stats.retried++;
        this.opts.logger?.error({ id, device: entry.device, err: e }, handled ? 'stream ack failed; retrying it' : 'stream entry not handled; retrying it');
        if (!(await this.pause())) return false;
      }
    }
  }

  /** Waits retryMs; false when stopped meanwhile. */
  private async pause(): Promise<boolean> {
    if (!this.running) return false;
    await new Promise((r) => setTimeout(r, this.opts.retryMs ?? 500));
    return this.running;
  }

  private async ack(id: string, epoch: number, state: Record<string, string> | undefined): Promise<boolean> {
    const pairs = state ? Object.entries(state).flat() : [];
    try {
      await this.redis.eval(ACK_SCRIPT, 3, STREAM_KEY, EPOCH_KEY, RULESTATE_KEY, GROUP, String(epoch), id, ...pairs);
    } catch (e) {
      if (String((e as Error).message).includes('FENCED')) {
        this.opts.logger?.warn({ id, epoch, err: (e as Error).message }, 'rules leader fenced: ack refused');
        throw new GridwatchError('GW_ERR_LEASE_LOST', `stream ack refused: this hub's rules epoch ${epoch} is no longer the lease's`, { details: { id, epoch } });
      }
      throw e;
    }
    this.stats.handled++;
    return true;
  }
}
