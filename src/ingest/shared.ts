// Cluster mode: the ingest's reading memory shared by every hub in Redis. A device whose hub died
// after storing a reading but before its PUBACK re-sends it to another hub; that hub must know the
// reading (a duplicate already stored is refused and answered, one not known to be stored is
// written to the SAME point again: a receive-stamped reading keeps the first hub's receive time).
// The local rings (dedup.ts) stay the fast path; this memory answers what they do not know, and
// is written before the store (what journal.ts does for one hub, in a file).
//
// Layout: one hash per device, `gw:seen:<device>`, field `seq mod SLOTS` -> `seq:h1:h2:ts:ns:stored`
// (a ring by seq: bounded per device, the newest reading of a slot wins), expiring a day after the
// device's last reading. Command acks: `gw:cmdack:<device>:<id>` set once (a day), so an ack the
// device sends again for a command delivered twice (a redelivery after a hub death has DUP=0) is
// announced once.
import type { Redis } from 'ioredis';

export interface ReadingKey { seq: number; h1: number; h2: number }
export interface KnownReading { ts: number; ns: number; stored: boolean }

export interface SharedIngestMemory {
  /** everything known of the device's readings (its whole ring: at most SEEN_SLOTS entries) */
  recall(device: string): Promise<(ReadingKey & KnownReading)[]>;
  /** what is known of each reading (undefined: never seen by any hub) */
  lookup(device: string, keys: readonly ReadingKey[]): Promise<(KnownReading | undefined)[]>;
  /** remembers new readings and their points; resolves once Redis has them (call before storing) */
  record(device: string, entries: readonly (ReadingKey & { ts: number; ns: number })[]): Promise<void>;
  /** the readings are stored */
  stored(device: string, entries: readonly (ReadingKey & { ts: number; ns: number })[]): Promise<void>;
  /** true the first time this command id is acknowledged by this device, in the whole cluster */
  firstAck(device: string, id: string): Promise<boolean>;
}

export const SEEN_SLOTS = 1024;
const TTL_MS = 24 * 3600_000;

const seenKey = (device: string): string => `gw:seen:${device}`;
const slot = (seq: number): string => String(((seq % SEEN_SLOTS) + SEEN_SLOTS) % SEEN_SLOTS);
const encode = (e: ReadingKey & { ts: number; ns: number }, stored: boolean): string => `${e.seq}:${e.h1}:${e.h2}:${e.ts}:${e.ns}:${stored ? 1 : 0}`;

export class RedisIngestMemory implements SharedIngestMemory {
  constructor(private readonly redis: Redis) {}

  async lookup(device: string, keys: readonly ReadingKey[]): Promise<(KnownReading | undefined)[]> {
    if (keys.length === 0) return [];
    const values = await this.redis.hmget(seenKey(device), ...keys.map((k) => slot(k.seq)));
    return keys.map((k, i) => {
      const f = values[i]?.split(':').map(Number);
      if (!f || f.length !== 6 || f[0] !== k.seq || f[1] !== k.h1 || f[2] !== k.h2) return undefined;
      return { ts: f[3] as number, ns: f[4] as number, stored: f[5] === 1 };
    });
  }

  async recall(device: string): Promise<(ReadingKey & KnownReading)[]> {
    const all = await this.redis.hgetall(seenKey(device));
    const out: (ReadingKey & KnownReading)[] = [];
    for (const v of Object.values(all)) {
      const f = v.split(':').map(Number);
      if (f.length !== 6 || f.some((x) => !Number.isFinite(x))) continue;
      out.push({ seq: f[0] as number, h1: f[1] as number, h2: f[2] as number, ts: f[3] as number, ns: f[4] as number, stored: f[5] === 1 });
    }
    return out;
  }

  async record(device: string, entries: readonly (ReadingKey & { ts: number; ns: number })[]): Promise<void> {
    await this.write(device, entries, false);
  }

  async stored(device: string, entries: readonly (ReadingKey & { ts: number; ns: number })[]): Promise<void> {
    await this.write(device, entries, true);
  }

  async firstAck(device: string, id: string): Promise<boolean> {
    return (await this.redis.set(`gw:cmdack:${device}:${id}`, '1', 'PX', TTL_MS, 'NX')) === 'OK';
  }

  private async write(device: string, entries: readonly (ReadingKey & { ts: number; ns: number })[], stored: boolean): Promise<void> {
    if (entries.length === 0) return;
    const fields: string[] = [];
    for (const e of entries) fields.push(slot(e.seq), encode(e, stored));
    const key = seenKey(device);
    const res = await this.redis.multi().hset(key, ...fields).pexpire(key, TTL_MS).exec();
    const failed = res?.find(([err]) => err);
    if (!res || failed) throw failed?.[0] ?? new Error('redis transaction aborted');
  }
}
