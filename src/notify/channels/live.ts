// The live panel: the notification goes on the HubBus as an `alert` change; the socket.io layer
// already forwards `alert` events to browsers. In-process, so it never fails; it goes through the
// pipeline anyway so mute/dedup/cancel and the ledger treat it like every other channel.
import type { HubBus } from '../../core/events.js';
import type { Channel } from '../types.js';

export const LIVE_CHANNEL_ID = 'live';

export function liveChannel(bus: HubBus): Channel {
  return {
    id: LIVE_CHANNEL_ID,
    type: 'live',
    maxAttempts: 1,
    async send(message) {
      const { notification: n } = message;
      bus.emit('alert', { case: n.case, entry: n.entry });
      return { ok: true };
    },
  };
}
