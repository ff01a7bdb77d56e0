// Load is not an outage: while the store says it is saturated (InfluxDB up but slower than the
// devices), stop reading every device's socket, and read again on 'drain'. TCP flow control then
// slows the devices themselves; QoS 1 devices also wait for their held PUBACKs. This keeps the
// hub's memory bounded under a QoS 0 flood, where there is no PUBACK to hold.
//
// aedes' Client.pause()/resume() (not in its typings) are not safe mid-batch: a packet finishing
// while paused skips its `_nextBatch()` step, and resume() replays only one, so the client never
// reads again. We route each packet's completion through a wrapper that counts the ones finished
// while paused and replays them all on resume.
import type { Aedes, Client } from 'aedes';
import type { Logger } from '../core/logger.js';

/** The store writer's side: `saturated`, with 'saturated' and 'drain' events. */
export interface PressureSource {
  readonly saturated: boolean;
  on(event: 'saturated' | 'drain', listener: () => void): unknown;
  off(event: 'saturated' | 'drain', listener: () => void): unknown;
}

interface AedesClientInternals {
  _paused: boolean;
  _nextBatch: (err?: unknown) => void;
}

class Gate {
  private held = 0;
  private readonly next: (err?: unknown) => void;

  constructor(private readonly c: AedesClientInternals) {
    this.next = c._nextBatch;
    c._nextBatch = (err?: unknown) => {
      if (c._paused && !err) this.held += 1;
      else this.next(err);
    };
  }

  pause(): void {
    this.c._paused = true;
  }

  resume(): void {
    this.c._paused = false;
    const held = this.held;
    this.held = 0;
    for (let i = 0; i < held; i++) this.next();
    this.next(); // a read skipped while paused ('readable'); an extra call is harmless
  }
}

/** Pause every connected client while `source` is saturated; returns a function that stops doing so. */
export function pauseWhileSaturated(aedes: Aedes, source: PressureSource, logger?: Logger): () => void {
  const clients = new Map<Client, Gate>();
  let paused = false;
  const onClient = (c: Client): void => {
    const gate = new Gate(c as unknown as AedesClientInternals);
    clients.set(c, gate);
    if (paused) gate.pause();
  };
  const onGone = (c: Client): void => {
    clients.delete(c);
  };
  const pause = (): void => {
    paused = true;
    logger?.info({ clients: clients.size }, 'store saturated: not reading device sockets until it drains');
    for (const gate of clients.values()) gate.pause();
  };
  const resume = (): void => {
    paused = false;
    logger?.info({ clients: clients.size }, 'store drained: reading device sockets again');
    for (const gate of clients.values()) gate.resume();
  };
  aedes.on('client', onClient);
  aedes.on('clientDisconnect', onGone);
  source.on('saturated', pause);
  source.on('drain', resume);
  if (source.saturated) pause();
  return () => {
    aedes.off('client', onClient);
    aedes.off('clientDisconnect', onGone);
    source.off('saturated', pause);
    source.off('drain', resume);
    if (paused) resume();
  };
}
