// Cluster mode: every hub's status board hears every hub's devices. A hub's bus carries only what
// its own devices send (and the alert changes of the rules leader), so without this a board would
// find the devices connected to other hubs silent and turn them `offline`, and a follower's board
// would show a device with an open gas alarm as `ok`. Each hub publishes its readings, presence
// changes and alert changes on a Redis channel; the others apply them to their boards only (never
// to their buses: the rules must not see a reading twice). The hub hands in the Redis connections.
import type { Redis } from 'ioredis';
import type { AlertChange } from '../core/alert-types.js';
import type { DeviceInfo, PresenceEvent, Reading } from '../core/domain.js';
import type { HubBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { StatusBoard } from './status-board.js';

export const BOARD_CHANNEL = 'gw:board';

type Relayed =
  | { hub: string; type: 'reading'; reading: Reading }
  | { hub: string; type: 'presence'; event: PresenceEvent }
  | { hub: string; type: 'alert'; change: AlertChange };

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
  const send = (msg: Relayed): void => {
    pub.publish(BOARD_CHANNEL, JSON.stringify(msg)).catch((e: unknown) => logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'board relay: not published'));
  };
  const onReading = (reading: Reading): void => send({ hub: hubId, type: 'reading', reading });
  const onPresence = (event: PresenceEvent): void => send({ hub: hubId, type: 'presence', event });
  const onAlert = (change: AlertChange): void => send({ hub: hubId, type: 'alert', change });
  const onMessage = (channel: string, text: string): void => {
    if (channel !== BOARD_CHANNEL) return;
    let msg: Relayed;
    try {
      msg = JSON.parse(text) as Relayed;
    } catch {
      return;
    }
    if (msg.hub === hubId) return; // this hub's board heard it on its own bus
    if (msg.type === 'alert') return board.onAlert(msg.change.case);
    const d = deps.device(msg.type === 'reading' ? msg.reading.device : msg.event.device);
    if (!d) return;
    if (msg.type === 'reading') board.onReading(msg.reading, d);
    else board.onPresence(msg.event, d);
  };
  sub.on('message', onMessage);
  await sub.subscribe(BOARD_CHANNEL);
  bus.on('reading', onReading);
  bus.on('presence', onPresence);
  bus.on('alert', onAlert);
  return () => {
    bus.off('reading', onReading);
    bus.off('presence', onPresence);
    bus.off('alert', onAlert);
    sub.off('message', onMessage);
  };
}
