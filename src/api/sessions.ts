// Login sessions: people log in with their id and password (scrypt hash from the config); they get
// an opaque random token, stored only as its sha256 hash with an expiry; logout revokes it. The
// person is looked up in the registry on every request, so a changed role or grid list applies at
// once and a disabled person is locked out; a password reset, disable or role change also revokes
// every token issued before (runtime.ts). In cluster mode the sessions are PostgreSQL's, shared by
// every hub: a token from one hub works on all, and a revocation holds on all.
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.js';
import { GridwatchError } from '../core/errors.js';
import { hashSecretSync, verifySecret } from '../core/secret.js';
import type { PersonConfig } from '../config/schema.js';
import type { SiteIndex } from '../config/site.js';
import { toPrincipal, type Principal } from '../registry/index.js';
import type { ApiStore } from './store.js';

export const DEFAULT_TOKEN_TTL_MS = 12 * 3600_000;

export interface LoginResult { token: string; expiresAt: number; user: Principal }

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

let dummyHash: string | undefined;

function authError(message: string, details: Record<string, unknown> = {}): GridwatchError {
  return new GridwatchError('GW_ERR_API_AUTH', message, { details });
}

export class Sessions extends EventEmitter<{ revoked: [tokenHash: string] }> {
  constructor(
    private readonly db: ApiStore,
    private readonly person: (id: string) => PersonConfig | undefined,
    private readonly site: SiteIndex,
    private readonly clock: Clock,
    private readonly ttlMs = DEFAULT_TOKEN_TTL_MS,
  ) {
    super();
  }

  /** The stored form of a token (for the live layer to match its sockets). */
  hashToken(token: string): string {
    return hashToken(token);
  }

  async login(username: string, password: string): Promise<LoginResult> {
    const person = this.person(username);
    // Same work whether or not the person exists, so timing does not reveal valid ids.
    dummyHash ??= hashSecretSync('gridwatch-no-such-person');
    const ok = await verifySecret(password, person?.passwordHash ?? dummyHash);
    if (!person || !person.passwordHash || !ok) throw authError('username or password is wrong');
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const expiresAt = now + this.ttlMs;
    await this.db.pruneSessions(now - 24 * 3600_000); // housekeeping: sessions long expired
    await this.db.addSession({ tokenHash: hashToken(token), person: person.id, createdAt: now, expiresAt });
    // A password reset, disable or role change that landed while the password was being checked
    // (here, or on another hub) may have revoked the person's tokens before this one was stored:
    // then this token must not outlive it.
    const current = this.person(person.id);
    if (!current || current.passwordHash !== person.passwordHash || current.role !== person.role) {
      await this.db.revokeSession(hashToken(token), this.clock.now());
      throw authError('the account changed while logging in; log in again');
    }
    return { token, expiresAt, user: toPrincipal(current, this.site) };
  }

  /** The person behind a bearer token; throws GW_ERR_API_AUTH with the reason. */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw authError('no token: send the header "Authorization: Bearer <token>" (POST /api/v1/auth/login gives one)');
    const s = await this.db.session(hashToken(token));
    if (!s) throw authError('token is not valid');
    if (s.revokedAt !== null) throw authError('token was revoked (logged out); log in again', { revokedAt: s.revokedAt });
    if (s.expiresAt <= this.clock.now()) throw authError('token expired; log in again', { expiresAt: s.expiresAt });
    const person = this.person(s.person);
    if (!person) throw authError(`person '${s.person}' no longer exists in the config or was disabled`);
    return toPrincipal(person, this.site);
  }

  /** Revokes every session of a person (disabled); their live connections are told through `revoked`. */
  async revokePerson(id: string): Promise<number> {
    const hashes = await this.db.revokePersonSessions(id, this.clock.now());
    for (const h of hashes) this.emit('revoked', h);
    return hashes.length;
  }

  /** Revokes the token; live connections made with it are told through the `revoked` event. */
  async logout(token: string): Promise<boolean> {
    const h = hashToken(token);
    const ok = await this.db.revokeSession(h, this.clock.now());
    if (ok) this.emit('revoked', h);
    return ok;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m?.[1];
}
