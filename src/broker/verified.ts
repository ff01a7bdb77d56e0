// Verified (device, secret) pairs, so a device that proved its secret once does not pay a full
// scrypt again, not even after a hub restart (a reconnect storm of 10,000 devices would otherwise
// cost 10,000 scrypts). Nothing secret is kept: each entry is HMAC-SHA256 under a hub-local random
// key of (device id, the device's stored scrypt hash, the secret offered). The stored hash carries
// the scrypt salt and parameters, so a rotated secret (a new hash) never matches an old entry, even
// one written before the rotation by an earlier run.
//
// With a directory the key lives in `<dir>/verified.key` and the entries in `<dir>/verified`, both
// 0600 (created so, never widened), one `device<TAB>mac` line per verification or `device<TAB>-`
// when one is forgotten; appends are grouped per event-loop turn, and the file is compacted on
// open and when it holds twice the entries in memory. Memory is bounded: past `maxEntries` the
// least recently used device is dropped. Without a directory the cache lives for the process.
//
// An entry lets a restarted hub skip scrypt for that exact (device, hash, secret); someone holding
// both files can test guesses at HMAC speed instead of scrypt speed, which is why both are
// owner-only and why device secrets are long random strings (core/secret.ts `newSecret`).
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

const KEY_BYTES = 32;
const MAC_BYTES = 32;

const BLOCK_BYTES = 64; // SHA-256's block

/**
 * HMAC-SHA256 under one key (RFC 2104), as two one-shot hashes over the key's inner and outer
 * pads computed once: `createHmac` per connection cost twice as much (a Hmac object and its key
 * set-up each time) and was ~3 % of a reconnect storm. The same bytes as `createHmac`.
 */
export class Mac {
  private readonly inner: Buffer;
  private readonly outer: Buffer;

  constructor(key: Buffer) {
    if (key.length > BLOCK_BYTES) throw new RangeError(`an HMAC key of at most ${BLOCK_BYTES} bytes is expected`);
    this.inner = Buffer.alloc(BLOCK_BYTES, 0x36);
    this.outer = Buffer.alloc(BLOCK_BYTES + 32, 0x5c);
    for (let i = 0; i < key.length; i++) {
      this.inner[i]! ^= key[i]!;
      this.outer[i]! ^= key[i]!;
    }
  }

  /** HMAC-SHA256(key, id NUL secretHash NUL secret) */
  fingerprint(id: string, secretHash: string, secret: Buffer): Buffer {
    const message = Buffer.concat([this.inner, Buffer.from(`${id}\0${secretHash}\0`), secret]);
    const outer = Buffer.from(this.outer); // (the outer pad, then the inner digest)
    outer.set(hash('sha256', message, 'buffer'), BLOCK_BYTES);
    return hash('sha256', outer, 'buffer');
  }
}

/** HMAC-SHA256(key, id NUL secretHash NUL secret): pure. */
export function fingerprint(key: Buffer, id: string, secretHash: string, secret: Buffer): Buffer {
  return new Mac(key).fingerprint(id, secretHash, secret);
}

/** One line of the entries file: a verification (`mac`) or a forgetting (`undefined`); null when unreadable (torn). */
export function parseLine(line: string): { id: string; mac: Buffer | undefined } | null {
  const tab = line.indexOf('\t');
  if (tab <= 0 || tab !== line.lastIndexOf('\t')) return null;
  const id = line.slice(0, tab);
  const rest = line.slice(tab + 1);
  if (rest === '-') return { id, mac: undefined };
  const mac = Buffer.from(rest, 'base64');
  return mac.length === MAC_BYTES && mac.toString('base64') === rest ? { id, mac } : null;
}

export function formatLine(id: string, mac: Buffer | undefined): string {
  return `${id}\t${mac ? mac.toString('base64') : '-'}\n`;
}

export interface VerifiedSecretsOptions {
  /** where the key and entries are kept; omitted: in memory for this process only */
  dir?: string;
  maxEntries?: number;
}

export class VerifiedSecrets {
  /** device id -> mac; Map order is recency (oldest first) */
  private readonly macs = new Map<string, Buffer>();
  private fh: FileHandle | undefined;
  private pending = '';
  private lines = 0;
  private writing: Promise<void> = Promise.resolve();
  private scheduled = false;

  private readonly mac: Mac;

  private constructor(key: Buffer, private readonly maxEntries: number, private readonly dir: string | undefined) {
    this.mac = new Mac(key);
  }

  /** For this process only (a fresh random key, nothing written). */
  static inMemory(maxEntries = 50_000): VerifiedSecrets {
    return new VerifiedSecrets(randomBytes(KEY_BYTES), maxEntries, undefined);
  }

  /** Opens (or creates) the key and entries in `dir`, loading what an earlier run verified. */
  static async open(opts: VerifiedSecretsOptions = {}): Promise<VerifiedSecrets> {
    const max = opts.maxEntries ?? 50_000;
    if (!opts.dir) return VerifiedSecrets.inMemory(max);
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    const cache = new VerifiedSecrets(await loadKey(join(opts.dir, 'verified.key')), max, opts.dir);
    const text = await readFile(cache.file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const entry = parseLine(line);
      if (!entry) continue;
      cache.macs.delete(entry.id);
      if (entry.mac) cache.macs.set(entry.id, entry.mac);
    }
    cache.trim();
    await cache.compact();
    return cache;
  }

  /** True when `secret` is the one this device proved before, under its current stored hash. */
  matches(id: string, secretHash: string, secret: Buffer): boolean {
    const known = this.macs.get(id);
    if (!known || !timingSafeEqual(known, this.mac.fingerprint(id, secretHash, secret))) return false;
    this.macs.delete(id); // most recently used
    this.macs.set(id, known);
    return true;
  }

  /** Remembers a successful scrypt verification. */
  remember(id: string, secretHash: string, secret: Buffer): void {
    const mac = this.mac.fingerprint(id, secretHash, secret);
    this.macs.delete(id);
    this.macs.set(id, mac);
    this.trim();
    this.append(id, mac);
  }

  /** Forgets a device (its secret was rotated, or it was decommissioned). */
  forget(id: string): void {
    if (this.macs.delete(id)) this.append(id, undefined);
  }

  get size(): number {
    return this.macs.size;
  }

  /** Resolves once every change so far is in the file. */
  flush(): Promise<void> {
    this.scheduled = false;
    if (this.pending !== '') {
      const body = this.pending;
      this.pending = '';
      this.writing = this.writing.then(() => this.fh?.write(body)).then(() => undefined);
    }
    return this.writing;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.fh?.close();
    this.fh = undefined;
  }

  private get file(): string {
    return join(this.dir ?? '.', 'verified');
  }

  private trim(): void {
    while (this.macs.size > this.maxEntries) {
      const oldest = this.macs.keys().next();
      if (oldest.done) break;
      this.macs.delete(oldest.value);
    }
  }

  private append(id: string, mac: Buffer | undefined): void {
    if (!this.dir) return;
    this.pending += formatLine(id, mac);
    this.lines++;
    if (this.lines > 2 * Math.max(this.macs.size, 1_000)) {
      this.writing = this.writing.then(() => this.compact());
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      if (this.scheduled) void this.flush().catch(() => undefined); // a lost line costs one scrypt later, nothing else
    });
  }

  /** Rewrites the file with what is in memory (written aside, then renamed over it). */
  private async compact(): Promise<void> {
    if (!this.dir) return;
    this.pending = '';
    await this.fh?.close();
    let body = '';
    for (const [id, mac] of this.macs) body += formatLine(id, mac);
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, body, { mode: 0o600 });
    await rename(tmp, this.file);
    this.fh = await open(this.file, 'a', 0o600);
    this.lines = this.macs.size;
  }
}

/** The hub-local key: read, or created 0600 with fresh random bytes. */
async function loadKey(file: string): Promise<Buffer> {
  const existing = await readFile(file).catch(() => undefined);
  if (existing?.length === KEY_BYTES) {
    await chmod(file, 0o600); // owner-only, whatever happened to it meanwhile
    return existing;
  }
  const key = randomBytes(KEY_BYTES);
  await writeFile(`${file}.tmp`, key, { mode: 0o600 });
  await chmod(`${file}.tmp`, 0o600);
  await rename(`${file}.tmp`, file);
  return key;
}
