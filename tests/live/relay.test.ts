// Cluster mode's board relay against a real redis-server: two hubs' buses and boards, each hub
// hearing the other's readings, presence and alert changes, one Redis message per event-loop turn.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { AlertCase } from '../../src/core/alert-types.js';
import { ManualClock } from '../../src/core/clock.js';
import { HubBus } from '../../src/core/events.js';
import { silentLogger } from '../../src/core/logger.js';
import { parseConfig, SiteIndex } from '../../src/config/index.js';
import { BOARD_CHANNEL, relayBoard } from '../../src/live/relay.js';
import { StatusBoard } from '../../src/live/status-board.js';
import { until } from '../helpers/hub.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { testSite } from '../helpers/hub.js';

const T0 = 1_750_000_000_000;

describe('board relay: every hub\'s status board hears every hub\'s devices', () => {
  let redis: TestRedis;
  const site = new SiteIndex(parseConfig(testSite([{ id: 'gas-1', kind: 'gas' }, { id: 'gas-2', kind: 'gas' }]).raw, '(test)', { env: {} }));
  const dev = (id: string) => site.devices.get(id)!;
  beforeAll(async () => {
    redis = await startTestRedis();
  }, 60_000);
  afterAll(async () => {
    await redis?.cleanup();
  });

  const hub = async (hubId: string, known: (id: string) => boolean = () => true) => {
    const bus = new HubBus();
    const board = new StatusBoard(site, new ManualClock(T0), 3);
    board.attach(bus);
    const stop = await relayBoard({ hubId, bus, board, device: (id) => (known(id) ? dev(id) : undefined), pub: redis.client(), sub: redis.client(), logger: silentLogger() });
    onTestFinished(stop);
    return { bus, board };
  };

  it('applies the other hub\'s readings, presence and alerts, in order, from one message per turn', async () => {
    const a = await hub('a');
    const b = await hub('b');
    const watcher = redis.client();
    const messages: string[] = [];
    watcher.on('message', (_c: string, text: string) => messages.push(text));
    await watcher.subscribe(BOARD_CHANNEL);
    for (let i = 1; i <= 50; i++) a.bus.emit('reading', { device: 'gas-1', kind: 'gas', ts: T0 + i, battery: 80, values: { lel: i } }, dev('gas-1'));
    a.bus.emit('presence', { device: 'gas-1', ts: T0 + 60, online: false, cause: 'lwt' }, dev('gas-1'));
    const alert = { id: 'c1', device: 'gas-2', rule: 'gas-critical', severity: 'critical', state: 'open', grid: 'g1' } as AlertCase;
    a.bus.emit('alert', { case: alert, entry: { seq: 1, caseId: 'c1', ts: T0, actor: 'system', action: 'opened' } });
    await until(() => b.board.view('gas-2')?.status === 'alarm' || undefined, 10_000, 'b to hear the alert');
    // the last of the turn's readings, then the drop after it: order kept
    expect(b.board.view('gas-1')).toMatchObject({ online: false, last: { ts: T0 + 50, values: { lel: 50 } }, battery: 80 });
    expect(messages).toHaveLength(1);
    // and the other way round, in a message of its own
    b.bus.emit('reading', { device: 'gas-2', kind: 'gas', ts: T0 + 70, battery: 10, values: { lel: 0 } }, dev('gas-2'));
    await until(() => a.board.view('gas-2')?.battery === 10 || undefined, 10_000, 'a to hear b');
    expect(messages).toHaveLength(2);
  });

  it('understands a single-item message (a hub of the version before) and skips devices it does not know', async () => {
    const b = await hub('b', (id) => id !== 'gas-2');
    const pub = redis.client();
    await pub.publish(BOARD_CHANNEL, JSON.stringify({ hub: 'old', type: 'reading', reading: { device: 'gas-2', kind: 'gas', ts: T0, battery: 5, values: { lel: 1 } } }));
    await pub.publish(BOARD_CHANNEL, JSON.stringify({ hub: 'old', type: 'reading', reading: { device: 'gas-1', kind: 'gas', ts: T0 + 1, battery: 42, values: { lel: 3 } } }));
    await until(() => b.board.view('gas-1')?.battery === 42 || undefined, 10_000, 'the old-format reading');
    expect(b.board.view('gas-2')?.battery ?? null).toBeNull(); // decommissioned here: not applied
  });
});
