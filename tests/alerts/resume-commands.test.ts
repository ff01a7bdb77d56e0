// Cluster mode's command hand-over on a real PostgreSQL (two hubs' case stores on one database,
// the lease row in gw_lease) with the broker's real CommandDownlink on each hub (its publish
// recorded instead of reaching MQTT; the whole path over real hubs is tests/cluster/commands-failover.test.ts):
// a new leader re-sends, with the same id, what the old one sent and nobody settled; the ack is
// recorded once; a leader that stands down records nothing; a decommissioned device's command is
// given up, and so is one whose case was resolved meanwhile; a frozen old leader's "not confirmed" is refused by the fence; a give-up after the
// leader recorded the ack is not written.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recordAck, resumeCommands } from '../../src/alerts/actions.js';
import { applyTransition } from '../../src/alerts/flow.js';
import type { AlertCases } from '../../src/alerts/service.js';
import { openPgCaseStore } from '../../src/alerts/store-pg.js';
import type { CaseStore } from '../../src/alerts/store.js';
import { CommandDownlink } from '../../src/broker/commands.js';
import { ManualClock } from '../../src/core/clock.js';
import { GridwatchError } from '../../src/core/errors.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { until } from '../helpers/hub.js';
import { makeHarness, transition, type Harness } from './harness.js';

const T0 = Date.UTC(2026, 0, 12, 2, 0);
const VALVE = 'valve-1';
const UNITS = [{ id: VALVE, kind: 'gas', building: 'b1', unit: '1单元101', valve: true }];

let server: TestPostgres;
let dbs = 0;
beforeAll(async () => { server = await startTestPostgres(); }, 120_000);
afterAll(async () => { await server?.cleanup(); }, 60_000);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Hub { h: Harness; cases: AlertCases; sent: Record<string, unknown>[]; downlink: CommandDownlink; reign: AbortController }

/** Two hubs on a fresh database; hub A leads at epoch 1. */
async function twoHubs(timing = { ackTimeoutMs: 60_000, attempts: 4 }, timingB = timing): Promise<{ a: Hub; b: Hub; store: CaseStore; takeOver(): Promise<void> }> {
  const url = await server.createDatabase(`resume_${++dbs}`);
  const pools = [new pg.Pool({ connectionString: url, max: 3 }), new pg.Pool({ connectionString: url, max: 3 })];
  for (const p of pools) p.on('error', () => undefined);
  cleanups.push(() => Promise.all(pools.map((p) => p.end())).then(() => undefined));
  const stores = await Promise.all(pools.map((p) => openPgCaseStore(p)));
  const clock = new ManualClock(T0);
  let epoch = 1;
  const hub = (store: CaseStore, mine: number, timing: { ackTimeoutMs: number; attempts: number }): Hub => {
    const h = makeHarness({ store, clock, units: UNITS });
    const sent: Record<string, unknown>[] = [];
    const downlink = new CommandDownlink(async (_device, payload) => { sent.push(payload); }, timing);
    h.cases.deps.sendCommand = (device, payload, opts) => downlink.send(device, payload, opts);
    h.cases.fence = { name: 'rules', epoch: () => mine };
    const reign = new AbortController();
    h.cases.handOver = reign.signal;
    cleanups.push(() => downlink.close());
    return { h, cases: h.cases, sent, downlink, reign };
  };
  const setLease = (e: number, holder: string): Promise<unknown> => (pools[1] as pg.Pool).query(`INSERT INTO gw_lease (name, epoch, holder, acquired_at) VALUES ('rules', $1, $2, now())
    ON CONFLICT (name) DO UPDATE SET epoch = excluded.epoch, holder = excluded.holder`, [e, holder]);
  await setLease(epoch, 'hub-a');
  return {
    a: hub(stores[0] as CaseStore, 1, timing), b: hub(stores[1] as CaseStore, 2, timingB), store: stores[1] as CaseStore,
    takeOver: async () => { await setLease(++epoch, 'hub-b'); },
  };
}

/** A raises a gas leak: the valve command goes out once; its id. */
async function leak(a: Hub): Promise<{ caseId: string; id: string }> {
  const c = (await applyTransition(a.cases, transition('gas-critical', 'raise')))!;
  await until(() => a.sent.length === 1 || undefined, 10_000, 'the command to go out');
  return { caseId: c.id, id: a.sent[0]?.id as string };
}

const commandLedger = async (store: CaseStore, caseId: string): Promise<Record<string, unknown>[]> =>
  (await store.ledger(caseId)).filter((e) => e.action.startsWith('command_')).map((e) => ({ action: e.action, ...e.data }));

const ack = async (hub: Hub, id: string): Promise<void> => {
  await hub.cases.exclusive(() => recordAck(hub.cases, { device: VALVE, id, ok: true, ts: T0 }));
};

/** every give-up or record queued on the service before now is done */
const settled = (hub: Hub, id: string): Promise<void> => until(() => !hub.cases.commandsInFlight.has(id) || undefined, 10_000, 'the send to end').then(() => hub.cases.exclusive(async () => undefined));

describe('pending commands handed over between rules leaders', () => {
  it('the new leader sends the same command again; the ack, to either send, is recorded once; nothing is left to re-send', async () => {
    const { a, b, store, takeOver } = await twoHubs();
    const { caseId, id } = await leak(a);
    // A's hub dies (its broker stops): handed over, nothing recorded
    a.downlink.close();
    await settled(a, id);
    await takeOver();
    expect(await resumeCommands(b.cases, () => true)).toBe(1);
    expect(b.sent).toEqual([{ id, cmd: 'valve', state: 'closed' }]);
    expect(await resumeCommands(b.cases, () => true)).toBe(0); // already on its way from this hub

    await ack(b, id); // the device's ack, from the stream
    b.downlink.ack({ device: VALVE, id, ok: true, ts: T0 });
    await ack(b, id); // and its late ack to the first send
    await settled(b, id);
    expect(await commandLedger(store, caseId)).toEqual([
      { action: 'command_sent', device: VALVE, command: { id, cmd: 'valve', state: 'closed' } },
      { action: 'command_retried', device: VALVE, commandId: id, send: 2, reason: 'takeover' },
      { action: 'command_ack', commandId: id, ok: true },
    ]);
    expect(await store.unsettledCommands()).toEqual([]);
  });

  it('a leader that stands down records nothing for its pending command; a decommissioned device\'s command is not re-sent but given up, once', async () => {
    const { a, b, store, takeOver } = await twoHubs();
    const { caseId, id } = await leak(a);
    a.reign.abort(); // follow(): the lease was lost
    await settled(a, id);
    expect((await commandLedger(store, caseId)).map((e) => e.action)).toEqual(['command_sent']);
    await takeOver();
    expect(await resumeCommands(b.cases, () => false)).toBe(0);
    expect(b.sent).toEqual([]);
    expect(await resumeCommands(b.cases, () => false)).toBe(0); // a second look finds nothing to give up
    const entries = await commandLedger(store, caseId);
    expect(entries.map((e) => e.action)).toEqual(['command_sent', 'command_unconfirmed']);
    expect(entries[1]).toMatchObject({ device: VALVE, commandId: id, sends: 1, reason: 'decommissioned' });
    expect(await store.unsettledCommands()).toEqual([]); // no later leader looks at it again
  });

  it('a command raised while the broker is closing (shutdown) is not given up: it stays for the next start or leader', async () => {
    const { a, store } = await twoHubs();
    a.downlink.close(); // stopListening closed the broker; a queued reading still raises the case
    const c = (await applyTransition(a.cases, transition('gas-critical', 'raise')))!;
    const sent = await until(async () => (await commandLedger(store, c.id)).find((e) => e.action === 'command_sent'), 10_000, 'the command to be recorded');
    const id = (sent.command as { id: string }).id;
    await settled(a, id);
    expect(a.sent).toEqual([]);
    expect((await commandLedger(store, c.id)).map((e) => e.action)).toEqual(['command_sent']);
    expect((await store.unsettledCommands()).map((u) => u.id)).toEqual([id]);
  });

  it('a command whose case was resolved meanwhile is not sent again (no valve closing weeks later) but given up, once', async () => {
    const { a, b, store, takeOver } = await twoHubs();
    const { caseId, id } = await leak(a);
    a.downlink.close();
    await settled(a, id);
    await b.cases.resolve(caseId, 'chenjing', 'the pipe was fixed, the valve closed by hand', 'checked on site');
    await takeOver();
    expect(await resumeCommands(b.cases, () => true)).toBe(0);
    expect(b.sent).toEqual([]);
    const entries = await commandLedger(store, caseId);
    expect(entries.map((e) => e.action)).toEqual(['command_sent', 'command_unconfirmed']);
    expect(entries[1]).toMatchObject({ device: VALVE, commandId: id, sends: 1, reason: 'case_ended' });
    expect(await store.unsettledCommands()).toEqual([]);
  });

  it('the old leader giving up after the take-over is refused by the fence; the new leader gives up once, counting every send', async () => {
    // (A's first window, 1 s, only has to outlast one UPDATE of gw_lease)
    const { a, b, store, takeOver } = await twoHubs({ ackTimeoutMs: 1000, attempts: 2 }, { ackTimeoutMs: 50, attempts: 2 });
    const { caseId, id } = await leak(a);
    await takeOver(); // A froze holding epoch 1 and goes on re-sending, then gives up
    await until(async () => (await commandLedger(store, caseId)).some((e) => e.action === 'command_retried') || undefined, 10_000, 'A\'s re-send');
    await settled(a, id);
    expect((await commandLedger(store, caseId)).map((e) => e.action)).toEqual(['command_sent', 'command_retried']);

    expect(await resumeCommands(b.cases, () => true)).toBe(1);
    await until(() => !b.cases.commandsInFlight.has(id) || undefined, 10_000, 'B to give up');
    await b.cases.exclusive(async () => undefined);
    const entries = await commandLedger(store, caseId);
    expect(entries.map((e) => e.action)).toEqual(['command_sent', 'command_retried', 'command_retried', 'command_retried', 'command_unconfirmed']);
    expect(entries.slice(2, 4).map((e) => [e.send, e.reason])).toEqual([[3, 'takeover'], [4, 'timeout']]);
    expect(entries[4]).toMatchObject({ commandId: id, sends: 4 });
  });

  it('a give-up after the leader recorded the device\'s ack from the stream is not written', async () => {
    const { a, store } = await twoHubs();
    let fail: ((e: Error) => void) | undefined;
    a.cases.deps.sendCommand = (device, payload) => {
      a.sent.push(payload);
      return new Promise((_resolve, reject) => { fail = reject; });
    };
    const { caseId, id } = await leak(a);
    await ack(a, id); // the ack reached the leader by the stream, not this hub's broker
    fail?.(new GridwatchError('GW_ERR_COMMAND_UNCONFIRMED', 'no cmd/ack', { details: { device: VALVE, commandId: id, sends: 4 } }));
    await settled(a, id);
    expect((await commandLedger(store, caseId)).map((e) => e.action)).toEqual(['command_sent', 'command_ack']);
  });
});
