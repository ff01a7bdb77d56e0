// Device authentication: username = client id = device id, password checked against the
// device's scrypt hash. scrypt costs ~50 ms, so a successful verification is remembered
// (verified.ts: an HMAC under a hub-local key, bound to the stored hash, compared in constant time,
// kept across restarts when the hub gives it a directory); the plaintext is never kept. The cache
// is bounded (least recently used dropped) and a device's entry goes when its secret is rotated or
// it is decommissioned (`forget`, called by the broker on the registry's event), so a reconnect
// storm of known devices costs one scrypt per device at most, and none after a restart.
// An unknown id costs the same scrypt as a wrong secret (checked against a dummy hash) and gets the
// same answer, so ids cannot be enumerated by timing or return code. Failed attempts are throttled
// per (device, address) with backoff, and slowed per device and per address (core/throttle.ts).
import { randomBytes } from 'node:crypto';
import type { DeviceInfo } from '../core/domain.js';
import { hashSecret, verifySecret } from '../core/secret.js';
import { LoginThrottle } from '../core/throttle.js';
import { VerifiedSecrets } from './verified.js';

export type AuthOutcome =
  | { ok: true; device: DeviceInfo }
  | { ok: false; returnCode: 2 | 4 | 5; code: 'GW_ERR_BROKER_CLIENT_ID' | 'GW_ERR_BROKER_AUTH'; reason: string };

export interface AuthenticatorOptions {
  lookup(id: string): DeviceInfo | undefined;
  verify?: (plain: string, hash: string) => Promise<boolean>;
  maxCached?: number;
  /** verifications remembered (default: in memory, for this process) */
  verified?: VerifiedSecrets;
  throttle?: LoginThrottle;
  /** wall time for the throttle (attempt rates are real time, whatever clock the hub runs on) */
  now?: () => number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export class Authenticator {
  private readonly cache: VerifiedSecrets;
  private readonly verify: (plain: string, hash: string) => Promise<boolean>;
  private readonly throttle: LoginThrottle;
  private readonly now: () => number;
  /** a hash of nothing, with the default scrypt cost, to spend the same work on an unknown id */
  private readonly dummyHash: Promise<string> = hashSecret(randomBytes(16).toString('hex'));
  /** how many full scrypt verifications ran (the cache avoids most) */
  scryptRuns = 0;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.verify = opts.verify ?? verifySecret;
    this.throttle = opts.throttle ?? new LoginThrottle();
    this.now = opts.now ?? Date.now;
    this.cache = opts.verified ?? VerifiedSecrets.inMemory(opts.maxCached);
  }

  /** `address` keys the failed-login throttle; a function is called only when the secret is not a remembered one (a syscall per TCP connection saved in a reconnect storm). */
  async authenticate(clientId: string, username: string | undefined, password: Buffer | undefined, address: string | (() => string) = 'unknown'): Promise<AuthOutcome> {
    // [MQTT-3.1.3-8]: return code 2 "identifier rejected" for a client id we do not serve
    if (username !== undefined && username !== clientId) {
      return { ok: false, returnCode: 2, code: 'GW_ERR_BROKER_CLIENT_ID', reason: 'client id must equal the username (the device id)' };
    }
    if (username === undefined || password === undefined) {
      return { ok: false, returnCode: 4, code: 'GW_ERR_BROKER_AUTH', reason: 'username and password are required' };
    }
    const device = this.opts.lookup(clientId);
    if (device && this.cache.matches(device.id, device.secretHash, password)) return { ok: true, device };
    const started = this.now();
    const from = typeof address === 'string' ? address : address();
    const verdict = this.throttle.check(clientId, from, started);
    if (verdict.refuseMs > 0) {
      return { ok: false, returnCode: 5, code: 'GW_ERR_BROKER_AUTH', reason: `too many failed attempts for this device from this address; retry in ${Math.ceil(verdict.refuseMs / 1000)} s` };
    }
    if (verdict.delayMs > 0) await sleep(verdict.delayMs);
    this.scryptRuns++;
    const ok = await this.verify(password.toString('utf8'), device?.secretHash ?? (await this.dummyHash));
    if (!device || !ok) {
      this.throttle.failed(clientId, from, this.now());
      return { ok: false, returnCode: 5, code: 'GW_ERR_BROKER_AUTH', reason: 'unknown device or bad password' };
    }
    this.throttle.succeeded(clientId, from);
    this.cache.remember(device.id, device.secretHash, password);
    return { ok: true, device };
  }

  /** Forget a device's cached verification (its secret changed, or it was decommissioned). */
  forget(device: string): void {
    this.cache.forget(device);
  }

  get cached(): number {
    return this.cache.size;
  }

  /** Writes what is remembered to its file (if any) and closes it. */
  close(): Promise<void> {
    return this.cache.close();
  }
}
