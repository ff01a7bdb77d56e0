import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprint, formatLine, Mac, parseLine, VerifiedSecrets } from '../../src/broker/verified.js';

const KEY = Buffer.alloc(32, 7);
const HASH = 'scrypt$1024$8$1$c2FsdA==$a2V5';
const secret = (s: string): Buffer => Buffer.from(s);

describe('fingerprint', () => {
  it('depends on the key, the device, its stored hash and the secret', () => {
    const base = fingerprint(KEY, 'gas-1', HASH, secret('s3cret'));
    expect(base).toHaveLength(32);
    expect(fingerprint(KEY, 'gas-1', HASH, secret('s3cret')).equals(base)).toBe(true);
    expect(fingerprint(Buffer.alloc(32, 8), 'gas-1', HASH, secret('s3cret')).equals(base)).toBe(false);
    expect(fingerprint(KEY, 'gas-2', HASH, secret('s3cret')).equals(base)).toBe(false);
    expect(fingerprint(KEY, 'gas-1', 'scrypt$1024$8$1$b3RoZXI=$a2V5', secret('s3cret')).equals(base)).toBe(false);
    expect(fingerprint(KEY, 'gas-1', HASH, secret('s3cret!')).equals(base)).toBe(false);
    // the separators keep the parts apart
    expect(fingerprint(KEY, 'gas-1a', HASH, secret('s3cret')).equals(fingerprint(KEY, 'gas-1', `a${HASH}`, secret('s3cret')))).toBe(false);
  });
});

describe('Mac', () => {
  // the entries an earlier run wrote (with createHmac) must still match after an upgrade
  it('gives the bytes of HMAC-SHA256 over id NUL hash NUL secret, for any key, id and secret', () => {
    const cases: [Buffer, string, string, Buffer][] = [
      [KEY, 'gas-1', HASH, secret('s3cret')],
      [randomBytes(32), '燃气-12号', HASH, secret('密码 with spaces')],
      [randomBytes(64), '', '', Buffer.alloc(0)],
      [randomBytes(1), 'x'.repeat(300), 'y'.repeat(500), randomBytes(1000)],
    ];
    for (const [key, id, hash, s] of cases) {
      const expected = createHmac('sha256', key).update(id).update('\0').update(hash).update('\0').update(s).digest();
      const mac = new Mac(key);
      expect(mac.fingerprint(id, hash, s).equals(expected)).toBe(true);
      expect(mac.fingerprint(id, hash, s).equals(expected)).toBe(true); // the pads are not spent by a use
      expect(fingerprint(key, id, hash, s).equals(expected)).toBe(true);
    }
  });
});

describe('entry lines', () => {
  it('round-trip a verification and a forgetting', () => {
    const mac = fingerprint(KEY, 'gas-1', HASH, secret('x'));
    expect(parseLine(formatLine('gas-1', mac).trimEnd())).toEqual({ id: 'gas-1', mac });
    expect(parseLine(formatLine('gas-1', undefined).trimEnd())).toEqual({ id: 'gas-1', mac: undefined });
  });

  it('refuse torn or foreign lines', () => {
    const line = formatLine('gas-1', fingerprint(KEY, 'gas-1', HASH, secret('x'))).trimEnd();
    for (const bad of ['', 'gas-1', '\tAAAA', line.slice(0, -5), `${line}\textra`, 'gas-1\tnot base64!', 'gas-1\t']) expect(parseLine(bad), bad).toBeNull();
  });
});

describe('VerifiedSecrets', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'gw-verified-'));
    dirs.push(d);
    return join(d, 'auth');
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('matches only the remembered (device, hash, secret) and forgets on request', () => {
    const v = VerifiedSecrets.inMemory();
    expect(v.matches('gas-1', HASH, secret('s3cret'))).toBe(false);
    v.remember('gas-1', HASH, secret('s3cret'));
    expect(v.matches('gas-1', HASH, secret('s3cret'))).toBe(true);
    expect(v.matches('gas-1', HASH, secret('wrong'))).toBe(false);
    expect(v.matches('gas-1', 'scrypt$1024$8$1$bmV3$a2V5', secret('s3cret'))).toBe(false); // rotated: a new stored hash
    v.forget('gas-1');
    expect(v.matches('gas-1', HASH, secret('s3cret'))).toBe(false);
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const v = VerifiedSecrets.inMemory(2);
    v.remember('a', HASH, secret('1'));
    v.remember('b', HASH, secret('2'));
    expect(v.matches('a', HASH, secret('1'))).toBe(true); // a is now the most recent
    v.remember('c', HASH, secret('3'));
    expect(v.size).toBe(2);
    expect(v.matches('b', HASH, secret('2'))).toBe(false);
    expect(v.matches('a', HASH, secret('1'))).toBe(true);
    expect(v.matches('c', HASH, secret('3'))).toBe(true);
  });

  it('survives a reopen of its directory, forgettings included, in owner-only files without the secret', async () => {
    const dir = tempDir();
    const first = await VerifiedSecrets.open({ dir });
    first.remember('gas-1', HASH, secret('s3cret-one'));
    first.remember('gas-2', HASH, secret('s3cret-two'));
    first.forget('gas-2');
    await first.close();
    for (const f of ['verified', 'verified.key']) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
    expect(readFileSync(join(dir, 'verified'), 'utf8')).not.toContain('s3cret');

    const second = await VerifiedSecrets.open({ dir });
    expect(second.matches('gas-1', HASH, secret('s3cret-one'))).toBe(true);
    expect(second.matches('gas-2', HASH, secret('s3cret-two'))).toBe(false);
    expect(second.size).toBe(1);
    await second.close();
    // compacted on open: one line per device remembered
    expect(readFileSync(join(dir, 'verified'), 'utf8').trimEnd().split('\n')).toHaveLength(1);
  });

  it('a new key (the key file lost) invalidates every entry', async () => {
    const dir = tempDir();
    const first = await VerifiedSecrets.open({ dir });
    first.remember('gas-1', HASH, secret('s3cret'));
    await first.close();
    rmSync(join(dir, 'verified.key'));
    const second = await VerifiedSecrets.open({ dir });
    expect(second.matches('gas-1', HASH, secret('s3cret'))).toBe(false);
    await second.close();
  });
});
