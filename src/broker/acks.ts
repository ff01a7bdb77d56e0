// One connection's acknowledgements (aedes' authorizePublish callbacks: the PUBACK / PUBREC of a
// QoS 1/2 message, the next read of the socket for any), released in the order the messages
// arrived ([MQTT-4.6.0-2]: PUBACKs in the order of their PUBLISHes). A message is acknowledged
// once its readings are durable (its `durable`, the store's batch) and the device is within its
// rate; the store may land two batches in either order (store/writer.ts keeps two POSTs in
// flight), and a held acknowledgement's timer may fire after a later message was within its rate,
// so neither may release a later message first.
// Cheap per message: the messages of a run share their batch's `durable` (a socket read brings
// many messages of one connection), so a run costs one reaction, not one closure, promise and
// microtask per message.

export type Ack = (err: Error | null) => void;

export interface AckDeps {
  /** spends `n` readings from the device's rate at `now`; ms until it is within its rate (0: at once) */
  take(n: number, now: number): number;
  now(): number;
  /** the connection is gone: whatever is held is released at once (aedes writes nothing on it) */
  closed(): boolean;
  /** an acknowledgement was held for the rate */
  held?(): void;
  /** a run's batch failed: its acknowledgements get the error (the connection closes, the device re-sends) */
  failed?(err: Error, messages: number): void;
}

/** QoS 1/2 messages in a row that wait on the same batch. */
interface Run {
  durable: Promise<void>;
  acks: Ack[];
  readings: number[];
  settled: boolean;
  error?: Error;
}

export class ConnectionAcks {
  /** runs not yet released, in arrival order */
  private readonly runs: Run[] = [];
  /** acknowledgements durable but held for the rate, in order, each with when it may go */
  private readonly rated: Ack[] = [];
  private readonly due: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: AckDeps) {}

  /** A QoS 1/2 message: acknowledged once `durable` and within the rate, after every earlier one. */
  afterDurable(durable: Promise<void>, readings: number, ack: Ack): void {
    let run = this.runs[this.runs.length - 1];
    if (run?.durable !== durable) {
      const r: Run = run = { durable, acks: [], readings: [], settled: false };
      this.runs.push(r);
      durable.then(() => this.settle(r), (e: unknown) => this.settle(r, e instanceof Error ? e : new Error(String(e))));
    }
    run.acks.push(ack);
    run.readings.push(readings);
  }

  /** A message with nothing to wait for (QoS 0, no PUBACK): acknowledged once within the rate. */
  withinRate(readings: number, now: number, ack: Ack): void {
    const wait = this.deps.take(readings, now);
    if (wait === 0 && this.rated.length === 0) return ack(null);
    if (wait > 0) this.deps.held?.();
    const last = this.due.length > 0 ? (this.due[this.due.length - 1] as number) : 0;
    this.rated.push(ack);
    this.due.push(Math.max(last, now + wait));
    this.arm();
  }

  private settle(run: Run, error?: Error): void {
    run.settled = true;
    if (error) run.error = error;
    while (this.runs.length > 0 && (this.runs[0] as Run).settled) {
      const r = this.runs.shift() as Run;
      if (r.error) {
        this.deps.failed?.(r.error, r.acks.length);
        for (const ack of r.acks) ack(r.error);
        continue;
      }
      const now = this.deps.now();
      for (let i = 0; i < r.acks.length; i++) this.withinRate(r.readings[i] as number, now, r.acks[i] as Ack);
    }
  }

  private arm(): void {
    if (this.timer !== undefined || this.rated.length === 0) return;
    const wait = Math.max(0, (this.due[0] as number) - this.deps.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.release();
    }, Math.min(wait, 1000));
  }

  private release(): void {
    const now = this.deps.now();
    const closed = this.deps.closed();
    while (this.rated.length > 0 && (closed || (this.due[0] as number) <= now)) {
      this.due.shift();
      (this.rated.shift() as Ack)(null);
    }
    this.arm();
  }
}
