import { describe, expect, it } from 'vitest';
import { hashSecret, hashSecretSync, isSecretHash, newSecret, verifySecret } from '../../src/core/secret.js';

describe('secret hashing', () => {
  it('verifies the right secret and refuses a wrong one', async () => {
    const hash = await hashSecret('s3cret-Plain');
    expect(isSecretHash(hash)).toBe(true);
    expect(hash).not.toContain('s3cret-Plain');
    expect(await verifySecret('s3cret-Plain', hash)).toBe(true);
    expect(await verifySecret('s3cret-plain', hash)).toBe(false);
  });

  it('salts every hash, so equal secrets hash differently', () => {
    expect(hashSecretSync('same')).not.toEqual(hashSecretSync('same'));
  });

  it('refuses malformed hashes instead of throwing', async () => {
    expect(await verifySecret('x', 'plain-text-not-a-hash')).toBe(false);
    expect(await verifySecret('x', 'scrypt$a$b$c$d$e')).toBe(false);
  });

  it('makes fresh random device secrets', () => {
    const a = newSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(newSecret()).not.toEqual(a);
  });
});
