// MQTT downlink to sirens: {"cmd":"siren","on":true} on gridwatch/v1/{device}/cmd (QoS 1) through
// the hub's command sender (shared/contract.md, MQTT topics). A device that cannot be reached is
// retryable (it may come back online); switching a siren on twice is harmless.
import type { Channel } from '../types.js';
import type { ChannelOptions } from './options.js';

export interface CommandSender {
  send(device: string, payload: Record<string, unknown>): Promise<void>;
}

export const SIREN_ON = { cmd: 'siren', on: true } as const;

export function sirenChannel(opts: ChannelOptions & { devices: readonly string[] }, commands: CommandSender): Channel {
  return {
    ...opts.base,
    async send() {
      const results = await Promise.allSettled(opts.devices.map((d) => commands.send(d, { ...SIREN_ON })));
      const failed = opts.devices.filter((_, i) => results[i]?.status === 'rejected');
      if (failed.length === 0) return { ok: true };
      const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      const why = first?.reason instanceof Error ? first.reason.message : String(first?.reason);
      return { ok: false, retryable: true, error: `siren command failed for ${failed.join(', ')}: ${why}` };
    },
  };
}
