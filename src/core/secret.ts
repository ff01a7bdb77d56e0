// Secrets (device passwords, people's passwords) are stored only as scrypt hashes:
// "scrypt$N$r$p$<salt b64>$<hash b64>". Comparison is constant time.
import { randomBytes, scrypt as scryptCb, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEYLEN = 32;
const DEFAULTS = { N: 16384, r: 8, p: 1 };

function scrypt(plain: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(plain, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export function hashSecretSync(plain: string, params = DEFAULTS): string {
  const salt = randomBytes(16);
  const key = scryptSync(plain, salt, KEYLEN, { ...params, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function hashSecret(plain: string, params = DEFAULTS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(plain, salt, KEYLEN, { ...params, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export const SECRET_HASH_PATTERN = '^scrypt\\$[0-9]+\\$[0-9]+\\$[0-9]+\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+$';

interface Parsed { N: number; r: number; p: number; salt: Buffer; key: Buffer }

function parse(hash: string): Parsed | undefined {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  const N = Number(n), R = Number(r), P = Number(p);
  if (!Number.isInteger(N) || !Number.isInteger(R) || !Number.isInteger(P)) return undefined;
  return { N, r: R, p: P, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

export function isSecretHash(hash: string): boolean {
  return parse(hash) !== undefined;
}

export async function verifySecret(plain: string, hash: string): Promise<boolean> {
  const parsed = parse(hash);
  if (!parsed) return false;
  const key = await scrypt(plain, parsed.salt, parsed.key.length, { N: parsed.N, r: parsed.r, p: parsed.p, maxmem: 64 * 1024 * 1024 });
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** A fresh random secret for a device, printed once at provisioning. */
export function newSecret(): string {
  return randomBytes(18).toString('base64url');
}
