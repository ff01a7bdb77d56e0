// Cluster mode: every hub's status board hears every hub's devices. A hub's bus carries only what
// its own devices send (and the alert changes of the rules leader), so without this a board would
// find the devices connected to other hubs silent and turn them `offline`, and a follower's board
// would show a device with an open gas alarm as `ok`. Each hub publishes its readings, presence
// changes and alert changes on a Redis channel; the others apply them to their boards only (never
// to their buses: the rules must not see a reading twice). The hub hands in the Redis connections.
// What one event-loop turn brings is published as one message (`items`, in order): under load a
// PUBLISH (and a parse on every other hub) per reading would cost more than the readings.
// A single item without `items` (a hub of the version before) is still understood.
import type { Redis } from 'ioredis';
import type { AlertChange } from '../core/alert-types.js';
import type { DeviceInfo, PresenceEvent, Reading } from '../core/domain.js';
import type { HubBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { StatusBoard } from './status-board.js';

export const BOARD_CHANNEL = 'gw:board';

type Item =
  | { type: 'reading'; reading: Reading }
  | { type: 'presence'; event: PresenceEvent }
  | { type: 'alert'; change: AlertChange };
type Relayed = { hub: string; items: Item[] } | ({ hub: string; items?: undefined } & Item);

export interface BoardRelayDeps {
  hubId: string;
  bus: HubBus;
  board: StatusBoard;
  /** the device as the registry knows it now (a decommissioned device is not applied) */
  device(id: string): DeviceInfo | undefined;
  /** a connection that publishes, and one that becomes a subscriber */
  pub: Redis;
  sub: Redis;
  logger: Logger;
}

/** Starts relaying; resolves once subscribed. The returned function stops it. */
export async function relayBoard(deps: BoardRelayDeps): Promise<() => void> {
  const { hubId, bus, board, pub, sub, logger } = deps;
  let turn: Item[] = [];
  let stopped = false;
  const flush = (): void => {
    const items = turn;
    turn = [];
    if (stopped) return;
    const msg: Relayed = { hub: hubId, items };
    pub.publish(BOARD_CHANNEL, JSON.stringify(msg)).catch((e: unknown) => logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'board relay: not published'));
  };
  const send = (item: Item): void => {
    if (turn.push(item) === 1) setImmediate(flush);
  };
  const onReading = (reading: Reading): void => send({ type: 'reading', reading });
  const onPresence = (event: PresenceEvent): void => send({ type: 'presence', event });
  const onAlert = (change: AlertChange): void => send({ type: 'alert', change });
  const apply = (item: Item): void => {
    if (item.type === 'alert') return board.onAlert(item.change.case);
    const d = deps.device(item.type === 'reading' ? item.reading.device : item.event.device);
    if (!d) return;
    if (item.type === 'reading') board.onReading(item.reading, d);
    else board.onPresence(item.event, d);
  };
  const onMessage = (channel: string, text: string): void => {
    if (channel !== BOARD_CHANNEL) return;
    let msg: Relayed;
    try {
      msg = JSON.parse(text) as Relayed;
    } catch {
      return;
    }
    if (msg.hub === hubId) return; // this hub's board heard it on its own bus
    if (Array.isArray(msg.items)) for (const item of msg.items) apply(item);
    else if (!msg.items) apply(msg);
  };
  sub.on('message', onMessage);
  await sub.subscribe(BOARD_CHANNEL);
  bus.on('reading', onReading);
  bus.on('presence', onPresence);
  bus.on('alert', onAlert);
  return () => {
    stopped = true;
    bus.off('reading', onReading);
    bus.off('presence', onPresence);
    bus.off('alert', onAlert);
    sub.off('message', onMessage);
  };
}
