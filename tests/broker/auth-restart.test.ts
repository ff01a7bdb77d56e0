// The verified-secret cache across a hub restart: a known (device, secret) reconnects to a
// restarted hub without a scrypt; a secret rotated meanwhile (while the hub was down, or over the
// API while it runs) never passes on an old entry.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { hashSecretSync } from '../../src/core/secret.js';
import { startHub, type Hub } from '../../src/hub/hub.js';
import { startTestInflux, type TestInflux } from '../helpers/influxd.js';
import { connectRefusal, FAST_SCRYPT, testSite } from '../helpers/hub.js';

let influx: TestInflux;
let dataDir: string;

beforeAll(async () => {
  influx = await startTestInflux();
  dataDir = mkdtempSync(join(tmpdir(), 'gw-auth-restart-'));
}, 60_000);

afterAll(async () => {
  await influx?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

const site = testSite([{ id: 'gas-r1', kind: 'gas' }, { id: 'gas-r2', kind: 'gas' }]);
const secretOf = (id: string): string => site.secrets.get(id) ?? '';

/** A hub on the shared dataDir; `secretHashes` replace devices' configured hashes (a rotation done while the hub was down). */
async function hubWith(secretHashes: Record<string, string> = {}): Promise<Hub> {
  const devices = (site.raw.devices as { id: string; secretHash: string }[]).map((d) => ({ ...d, secretHash: secretHashes[d.id] ?? d.secretHash }));
  const raw = { ...site.raw, devices, dataDir, influx: { url: influx.url, database: 'authrestart', flushMs: 20 } };
  return startHub(parseConfig(raw, '(test)', { env: {} }), { logger: silentLogger() });
}

async function connects(hub: Hub, id: string, secret: string): Promise<void> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.mqttPort}`, { clientId: id, username: id, password: secret, reconnectPeriod: 0, connectTimeout: 10_000 });
  await c.endAsync();
}

describe('verified device secrets across a hub restart', () => {
  it('a restarted hub lets a device it verified before reconnect without a scrypt; the files are owner-only', async () => {
    const first = await hubWith();
    try {
      await connects(first, 'gas-r1', secretOf('gas-r1'));
      expect(first.broker.auth.scryptRuns).toBe(1);
    } finally {
      await first.close();
    }
    for (const f of ['verified', 'verified.key']) expect(statSync(join(dataDir, 'auth', f)).mode & 0o777, f).toBe(0o600);

    const second = await hubWith();
    try {
      await connects(second, 'gas-r1', secretOf('gas-r1'));
      expect(second.broker.auth.scryptRuns).toBe(0);
      // a wrong secret still costs a scrypt and is refused
      expect(await connectRefusal(second.mqttPort, { clientId: 'gas-r1', username: 'gas-r1', password: 'wrong' })).toBe(5);
      expect(second.broker.auth.scryptRuns).toBe(1);
      // a device never verified before pays its scrypt once
      await connects(second, 'gas-r2', secretOf('gas-r2'));
      expect(second.broker.auth.scryptRuns).toBe(2);
    } finally {
      await second.close();
    }
  }, 60_000);

  it('a secret changed while the hub was down: the old secret is refused, the new one verified by scrypt', async () => {
    const newSecret = 'pw-gas-r1-rotated';
    const hub = await hubWith({ 'gas-r1': hashSecretSync(newSecret, FAST_SCRYPT) });
    try {
      expect(await connectRefusal(hub.mqttPort, { clientId: 'gas-r1', username: 'gas-r1', password: secretOf('gas-r1') })).toBe(5);
      await connects(hub, 'gas-r1', newSecret);
      expect(hub.broker.auth.scryptRuns).toBe(2);
    } finally {
      await hub.close();
    }
  }, 60_000);

  it('a secret rotated over the registry: the old secret is refused at once and after a restart', async () => {
    const first = await hubWith();
    let rotated: string;
    try {
      await connects(first, 'gas-r2', secretOf('gas-r2')); // remembered by the earlier hub: no scrypt
      expect(first.broker.auth.scryptRuns).toBe(0);
      rotated = await first.ctx.registry.rotateSecret('gas-r2');
      expect(await connectRefusal(first.mqttPort, { clientId: 'gas-r2', username: 'gas-r2', password: secretOf('gas-r2') })).toBe(5);
    } finally {
      await first.close();
    }
    const second = await hubWith();
    try {
      // the rotated secret lives in api.db; the configured one no longer opens the door
      expect(await connectRefusal(second.mqttPort, { clientId: 'gas-r2', username: 'gas-r2', password: secretOf('gas-r2') })).toBe(5);
      await connects(second, 'gas-r2', rotated);
      expect(second.broker.auth.scryptRuns).toBe(2);
    } finally {
      await second.close();
    }
  }, 60_000);
});
