// Device authentication: username = client id = device id, password checked against the
// device's scrypt hash. scrypt costs ~50 ms, so a successful verification is cached per device as
// SHA-256(per-process salt + hash + password), compared in constant time; the plaintext is never kept.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DeviceInfo } from '../core/domain.js';
import { verifySecret } from '../core/secret.js';

export type AuthOutcome =
  | { ok: true; device: DeviceInfo }
  | { ok: false; returnCode: 2 | 4 | 5; code: 'GW_ERR_BROKER_CLIENT_ID' | 'GW_ERR_BROKER_AUTH'; reason: string };

export interface AuthenticatorOptions {
  lookup(id: string): DeviceInfo | undefined;
  verify?: (plain: string, hash: string) => Promise<boolean>;
  maxCached?: number;
}

export class Authenticator {
  private readonly salt = randomBytes(32);
  private readonly cache = new Map<string, Buffer>();
  private readonly verify: (plain: string, hash: string) => Promise<boolean>;
  /** how many full scrypt verifications ran (the cache avoids most) */
  scryptRuns = 0;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.verify = opts.verify ?? verifySecret;
  }

  async authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<AuthOutcome> {
    // [MQTT-3.1.3-8]: return code 2 "identifier rejected" for a client id we do not serve
    if (username !== undefined && username !== clientId) {
      return { ok: false, returnCode: 2, code: 'GW_ERR_BROKER_CLIENT_ID', reason: 'client id must equal the username (the device id)' };
    }
    const device = this.opts.lookup(clientId);
    if (!device) return { ok: false, returnCode: 2, code: 'GW_ERR_BROKER_CLIENT_ID', reason: 'no device has this id' };
    if (username === undefined || password === undefined) {
      return { ok: false, returnCode: 4, code: 'GW_ERR_BROKER_AUTH', reason: 'username and password are required' };
    }
    const fingerprint = this.fingerprint(device, password);
    const cached = this.cache.get(device.id);
    if (cached && timingSafeEqual(cached, fingerprint)) {
      this.cache.delete(device.id);
      this.cache.set(device.id, cached);
      return { ok: true, device };
    }
    this.scryptRuns++;
    if (!(await this.verify(password.toString('utf8'), device.secretHash))) {
      return { ok: false, returnCode: 5, code: 'GW_ERR_BROKER_AUTH', reason: 'bad password' };
    }
    this.cache.delete(device.id);
    this.cache.set(device.id, fingerprint);
    if (this.cache.size > (this.opts.maxCached ?? 50_000)) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    return { ok: true, device };
  }

  /** Forget a device's cached verification (e.g. its secret changed). */
  forget(device: string): void {
    this.cache.delete(device);
  }

  private fingerprint(device: DeviceInfo, password: Buffer): Buffer {
    // the hash is mixed in so a rotated secret never matches an old cache entry
    return createHash('sha256').update(this.salt).update(device.secretHash).update('\0').update(password).digest();
  }
}
