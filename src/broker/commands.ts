// Hub → device commands that count only when the device confirms them. `aedes.publish` succeeds
// with no subscriber at all, so a publish proves nothing: a command is done when the device's
// `cmd/ack` with the command's id arrives. Without one, it is sent again when its window ends (the
// window doubles each time) and at once when the device subscribes to its cmd topic (it came back
// online), up to `attempts` sends; then it fails with GW_ERR_COMMAND_UNCONFIRMED. Every send of
// one command carries the same id, so a device that gets it twice can tell (and closing a valve or
// switching a siren on twice is harmless). A send given an AbortSignal stops (rejects, nothing
// more goes out) when it aborts: the cluster's rules leader hands its commands over that way.
import { randomUUID } from 'node:crypto';
import type { CommandAck, CommandResult, SendCommandOptions } from '../core/events.js';
import { GridwatchError } from '../core/errors.js';

export interface CommandTiming {
  /** how long the first send waits for the device's ack; each re-send waits twice as long as the last */
  ackTimeoutMs: number;
  /** sends in all (the first one included) before the command counts as not confirmed */
  attempts: number;
}

interface Pending {
  id: string;
  device: string;
  payload: Record<string, unknown>;
  sends: number;
  windowMs: number;
  timer?: NodeJS.Timeout;
  opts: SendCommandOptions;
  /** removes the abort listener (opts.signal) */
  unlisten?: () => void;
  resolve(r: CommandResult): void;
  reject(e: Error): void;
}

export class CommandDownlink {
  private readonly pending = new Map<string, Pending>();
  private closed = false;

  constructor(
    private readonly publish: (device: string, payload: Record<string, unknown>) => Promise<void>,
    private readonly timing: CommandTiming,
  ) {}

  /** Sends `payload` (given an `id` if it has none) and resolves with the device's ack. */
  send(device: string, payload: Record<string, unknown>, opts: SendCommandOptions = {}): Promise<CommandResult> {
    // closed (shutdown): not a give-up; the command is still unsettled for the next start or leader
    if (this.closed) return Promise.reject(unconfirmed(device, String(payload.id ?? ''), 0, 'the broker is closed', { closed: true }));
    const id = typeof payload.id === 'string' && payload.id !== '' ? payload.id : randomUUID();
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(unconfirmed(device, id, 0, 'handed over before it was sent', { handedOver: true }));
    return new Promise<CommandResult>((resolve, reject) => {
      const p: Pending = { id, device, payload: { ...payload, id }, sends: 0, windowMs: this.timing.ackTimeoutMs, opts, resolve, reject };
      if (signal) {
        const abort = (): void => {
          if (this.pending.get(id) !== p) return;
          this.settle(p);
          p.reject(unconfirmed(p.device, p.id, p.sends, 'handed over before the device confirmed', { handedOver: true }));
        };
        signal.addEventListener('abort', abort, { once: true });
        p.unlisten = () => signal.removeEventListener('abort', abort);
      }
      this.pending.set(id, p);
      this.transmit(p);
    });
  }

  /** A device's cmd/ack: settles its pending command (an ack for an unknown id or from another device is ignored). */
  ack(ack: CommandAck): void {
    const p = this.pending.get(ack.id);
    if (!p || p.device !== ack.device) return;
    this.settle(p);
    p.resolve({ id: p.id, device: p.device, ok: ack.ok, sends: p.sends, ...(ack.detail ? { detail: ack.detail } : {}) });
  }

  /** The device subscribed to its cmd topic: what it has not confirmed goes out now. */
  online(device: string): void {
    for (const p of this.pending.values()) {
      if (p.device !== device) continue;
      if (p.sends >= this.timing.attempts) continue; // its last window is still running
      p.opts.onResend?.(p.sends + 1, 'online');
      this.transmit(p);
    }
  }

  /** Fails every pending command (the hub is stopping). */
  close(): void {
    this.closed = true;
    for (const p of [...this.pending.values()]) {
      this.settle(p);
      p.reject(unconfirmed(p.device, p.id, p.sends, 'the broker closed before the device confirmed', { closed: true }));
    }
  }

  private transmit(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.sends += 1;
    if (p.sends > 1) p.windowMs *= 2;
    p.timer = setTimeout(() => this.expired(p), p.windowMs);
    p.timer.unref();
    this.publish(p.device, p.payload).catch(() => undefined); // an unsent command is simply not acked: the window decides
  }

  private expired(p: Pending): void {
    if (!this.pending.has(p.id)) return;
    if (p.sends < this.timing.attempts) {
      p.opts.onResend?.(p.sends + 1, 'timeout');
      this.transmit(p);
      return;
    }
    this.settle(p);
    p.reject(unconfirmed(p.device, p.id, p.sends, `no cmd/ack after ${p.sends} sends`));
  }

  private settle(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.unlisten?.();
    this.pending.delete(p.id);
  }
}

/** `closed`: the broker stopped; `handedOver`: the send's signal aborted (neither is the device's silence) */
function unconfirmed(device: string, id: string, sends: number, why: string, extra: { closed?: true; handedOver?: true } = {}): GridwatchError {
  return new GridwatchError('GW_ERR_COMMAND_UNCONFIRMED', `command ${id} to ${device} not confirmed: ${why}`, { details: { device, commandId: id, sends, ...extra }, retryable: true });
}
