// Cluster mode with PostgreSQL gone (a real server, stopped): the registry's views keep answering
// from memory (devices keep authenticating), while a change and a token check answer
// GW_ERR_CLUSTER_UNAVAILABLE (503, retryable) and nothing half happens: no event, no view changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import type { DeviceChange } from '../../src/registry/index.js';
import { testSite } from '../helpers/hub.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { password, peopleConfig } from '../api/people.js';
import { side, type TestHubSide } from './hub-side.js';

const config = parseConfig(testSite([{ id: 'gas-1', kind: 'gas' }], { people: peopleConfig() }).raw, '(test)', { env: {} });

describe('PostgreSQL down', () => {
  let server: TestPostgres | undefined;
  let hub: TestHubSide;
  beforeAll(async () => {
    server = await startTestPostgres();
    hub = await side(server.url, config);
  }, 90_000);
  afterAll(async () => {
    await hub?.close().catch(() => undefined);
    await server?.cleanup();
  }, 60_000);

  it('reads answer from memory; a change or a token check is refused as unavailable, and nothing is announced', async () => {
    const { token } = await hub.api.sessions.login('root', password('root'));
    const events: DeviceChange[] = [];
    hub.registry.on('device', (c) => events.push(c));
    await server?.cleanup();
    server = undefined;

    expect(hub.registry.device('gas-1')?.grid).toBe('g1');
    expect(hub.registry.person('li')?.role).toBe('grid_leader');
    await expect(hub.registry.decommission('gas-1')).rejects.toMatchObject({ code: 'GW_ERR_CLUSTER_UNAVAILABLE', retryable: true });
    await expect(hub.registry.provisionDevice({ id: 'gas-2', kind: 'gas', building: 'b1' })).rejects.toMatchObject({ code: 'GW_ERR_CLUSTER_UNAVAILABLE' });
    expect(hub.registry.device('gas-1')).toBeDefined();
    expect(hub.registry.device('gas-2')).toBeUndefined();
    expect(events).toEqual([]);
    const refused = await hub.api.sessions.authenticate(token).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'GW_ERR_CLUSTER_UNAVAILABLE' });
    expect(JSON.stringify(refused)).not.toMatch(/postgres:\/\//);
  });
});
