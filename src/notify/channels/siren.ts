// MQTT downlink to sirens: {"cmd":"siren","on":true} on gridwatch/v1/{device}/cmd (QoS 1) through
// the hub's command sender (shared/contract.md, MQTT topics). A siren counts only once it confirmed
// on cmd/ack (the sender re-sends meanwhile); one that never confirms, or answers ok:false, is a
// retryable failure (it may come back online); switching a siren on twice is harmless. A cancelled
// delivery (acknowledged, shutdown) stops the sender's re-sends; the broker closing under the send
// (a clean stop) is `stopping`, not the siren's silence: the next start switches it on.
import { GridwatchError } from '../../core/errors.js';
import type { CommandSender } from '../../core/events.js';
import type { Channel } from '../types.js';
import type { ChannelOptions } from './options.js';

export type { CommandSender };

export const SIREN_ON = { cmd: 'siren', on: true } as const;

export function sirenChannel(opts: ChannelOptions & { devices: readonly string[] }, commands: CommandSender): Channel {
  return {
    ...opts.base,
    async send(_message, signal) {
      const results = await Promise.allSettled(opts.devices.map((d) => commands.send(d, { ...SIREN_ON }, { signal })));
      if (results.some((r) => r.status === 'rejected' && r.reason instanceof GridwatchError && r.reason.details.closed === true)) {
        return { ok: false, retryable: true, error: 'the broker closed before the sirens confirmed', stopping: true };
      }
      const failed = opts.devices.filter((_, i) => results[i]?.status === 'rejected' || (results[i]?.status === 'fulfilled' && !results[i].value.ok));
      if (failed.length === 0) return { ok: true };
      const first = results.find((r) => r.status === 'rejected' || !r.value.ok);
      const why = first?.status === 'rejected' ? (first.reason instanceof Error ? first.reason.message : String(first.reason)) : 'the device answered ok: false';
      return { ok: false, retryable: true, error: `siren command failed for ${failed.join(', ')}: ${why}` };
    },
  };
}
