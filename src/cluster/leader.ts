// Leading = holding the lease AND consuming the stream with it. On `acquired` the new leader
// prepares (loads rule state, starts its timers: `onLead`), then consumes — reclaimed entries
// first; on `lost` it stops consuming and stands down (`onFollow`). A consumer that ended while
// the lease still holds (Redis trouble) is started again.
import type { Logger } from '../core/logger.js';
import type { Lease } from './lease.js';
import type { StreamConsumer } from './stream.js';

export interface LeaderOptions {
  lease: Lease;
  consumer: StreamConsumer;
  /** before the first entry is handled: load state, start timers (fenced by the epoch) */
  onLead?(epoch: number): Promise<void> | void;
  /** after the consumer has stopped */
  onFollow?(reason: string): Promise<void> | void;
  retryMs?: number;
  logger?: Logger;
}

export interface LeaderHandle {
  stop(): Promise<void>;
}

export function runLeader(opts: LeaderOptions): LeaderHandle {
  const { lease, consumer, logger } = opts;
  let stopped = false;
  let reign: Promise<void> = Promise.resolve();

  const lead = async (epoch: number): Promise<void> => {
    try {
      await opts.onLead?.(epoch);
    } catch (e) {
      logger?.error({ err: e, epoch }, 'taking the lead failed');
    }
    while (!stopped && lease.epoch() === epoch) {
      try {
        await consumer.run(lease);
      } catch (e) {
        logger?.error({ err: e }, 'rules stream consumer failed');
      }
      if (stopped || lease.epoch() !== epoch) break;
      await new Promise((r) => setTimeout(r, opts.retryMs ?? 500));
    }
  };
  const onAcquired = (epoch: number): void => {
    reign = reign.then(() => lead(epoch));
  };
  const onLost = (reason: string): void => {
    reign = reign.then(async () => {
      await consumer.stop();
      await opts.onFollow?.(reason);
    });
    // the running reign ends its loop when the fence fails; stop it now rather than at the next read
    void consumer.stop();
  };
  lease.on('acquired', onAcquired);
  lease.on('lost', onLost);
  lease.start();
  return {
    stop: async () => {
      stopped = true;
      await consumer.stop();
      await lease.stop();
      await reign;
      lease.off('acquired', onAcquired);
      lease.off('lost', onLost);
    },
  };
}
