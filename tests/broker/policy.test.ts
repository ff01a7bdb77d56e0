import { describe, it, expect } from 'vitest';
import type { DeviceInfo } from '../../src/core/domain.js';
import { hashSecretSync } from '../../src/core/secret.js';
import { deviceTopic, forHubOnly, maySubscribe, PUBLISH_SUBTOPICS, publishSubtopic } from '../../src/broker/acl.js';
import { Authenticator } from '../../src/broker/auth.js';
import { PresenceTracker } from '../../src/broker/presence.js';

// cheap scrypt parameters: these tests are about the policy, not the cost
const FAST = { N: 1024, r: 8, p: 1 };
const dev = (id: string, secret: string): DeviceInfo => ({ id, kind: 'gas', street: 's', community: 'c', grid: 'g', building: 'b', intervalS: 60, secretHash: hashSecretSync(secret, FAST), noiseZone: '1' });

describe('acl', () => {
  it('lets a device publish only its own reading/status/event/cmd/ack topics', () => {
    expect(publishSubtopic('gas-1', deviceTopic('gas-1', 'reading'))).toBe('reading');
    expect(publishSubtopic('gas-1', 'gridwatch/v1/gas-1/status')).toBe('status');
    expect(publishSubtopic('gas-1', 'gridwatch/v1/gas-1/event')).toBe('event');
    expect(publishSubtopic('gas-1', 'gridwatch/v1/gas-1/cmd/ack')).toBe('cmd/ack');
    for (const t of ['gridwatch/v1/gas-2/reading', 'gridwatch/v1/gas-1/cmd', 'gridwatch/v1/gas-1/error', 'gridwatch/v1/gas-1/reading/x', 'gridwatch/v1/gas-1', 'gridwatch/v1/gas-10/reading', '$SYS/x', 'other/gas-1/reading', 'gridwatch/v1/gas-1/readings', 'gridwatch/v1/gas-1//reading', 'gridwatch/v1/gas-1reading', 'gridwatch/v1/gas-1xreading', 'gridwatch/v1/gas-/reading', 'xgridwatch/v1/gas-1/reading', 'gridwatch/v1/gas-1/xmd/ack', 'gridwatch/v1/gas-1/ack', 'gridwatch/v1/gas-1/']) {
      expect(publishSubtopic('gas-1', t), t).toBeUndefined();
    }
  });

  it('names what a device publishes for the hub alone: reading, status, event (not cmd/ack)', () => {
    expect(PUBLISH_SUBTOPICS.filter(forHubOnly)).toEqual(['reading', 'status', 'event']);
  });

  it('lets a device subscribe only to its own cmd and error topics, no wildcards', () => {
    expect(maySubscribe('gas-1', 'gridwatch/v1/gas-1/cmd')).toBe(true);
    expect(maySubscribe('gas-1', 'gridwatch/v1/gas-1/error')).toBe(true);
    for (const t of ['gridwatch/v1/gas-1/#', 'gridwatch/v1/+/cmd', 'gridwatch/v1/gas-2/cmd', '#', 'gridwatch/v1/gas-1/reading', '$SYS/#']) {
      expect(maySubscribe('gas-1', t), t).toBe(false);
    }
  });
});

describe('Authenticator', () => {
  const devices = new Map([['gas-1', dev('gas-1', 's3cret')], ['gas-2', dev('gas-2', 'other')]]);
  const pw = (s: string): Buffer => Buffer.from(s);

  it('accepts the right secret and refuses others with MQTT return codes', async () => {
    const a = new Authenticator({ lookup: (id) => devices.get(id) });
    expect(await a.authenticate('gas-1', 'gas-1', pw('s3cret'))).toMatchObject({ ok: true, device: { id: 'gas-1' } });
    expect(await a.authenticate('gas-1', 'gas-1', pw('wrong'))).toMatchObject({ ok: false, returnCode: 5, code: 'GW_ERR_BROKER_AUTH' });
    // an unknown id: the same answer as a wrong secret (ids cannot be enumerated)
    expect(await a.authenticate('gas-9', 'gas-9', pw('s3cret'))).toMatchObject({ ok: false, returnCode: 5, code: 'GW_ERR_BROKER_AUTH' });
    expect(await a.authenticate('gas-1', 'gas-2', pw('other'))).toMatchObject({ ok: false, returnCode: 2, code: 'GW_ERR_BROKER_CLIENT_ID' });
    expect(await a.authenticate('gas-1', undefined, undefined)).toMatchObject({ ok: false, returnCode: 4 });
  });

  it('caches a successful verification without keeping the plaintext; a wrong password is still refused', async () => {
    let runs = 0;
    const a = new Authenticator({ lookup: (id) => devices.get(id), verify: async (plain, hash) => {
      runs++;
      const { verifySecret } = await import('../../src/core/secret.js');
      return verifySecret(plain, hash);
    } });
    for (let i = 0; i < 5; i++) expect((await a.authenticate('gas-1', 'gas-1', pw('s3cret'))).ok).toBe(true);
    expect(runs).toBe(1);
    expect((await a.authenticate('gas-1', 'gas-1', pw('s3cret!'))).ok).toBe(false);
    expect(runs).toBe(2);
    expect((await a.authenticate('gas-1', 'gas-1', pw('s3cret'))).ok).toBe(true);
    expect(runs).toBe(2);
    a.forget('gas-1');
    expect((await a.authenticate('gas-1', 'gas-1', pw('s3cret'))).ok).toBe(true);
    expect(runs).toBe(3);
    const cacheText = JSON.stringify([...(a as unknown as { cache: { macs: Map<string, Buffer> } }).cache.macs.values()].map((b) => b.toString('latin1')));
    expect(cacheText).not.toContain('s3cret');
  });
});

describe('PresenceTracker', () => {
  it('one online per connection and exactly one offline with the right cause', () => {
    const p = new PresenceTracker();
    const c1 = {}, c2 = {}, c3 = {};
    expect(p.connected(c1, 'd', 10)).toEqual({ device: 'd', ts: 10, online: true, cause: 'connect' });
    expect(p.disconnected(c1, false, 20)).toEqual({ device: 'd', ts: 20, online: false, cause: 'lwt' });
    expect(p.disconnected(c1, false, 21)).toBeUndefined();
    p.connected(c2, 'd', 30);
    expect(p.disconnected(c2, true, 40)?.cause).toBe('disconnect');
    p.connected(c3, 'd', 50);
    p.keepaliveTimeout(c3);
    expect(p.disconnected(c3, false, 60)?.cause).toBe('timeout');
    expect(p.disconnected({}, false, 70)).toBeUndefined(); // never authenticated
  });
});
