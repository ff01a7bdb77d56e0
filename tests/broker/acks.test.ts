import { describe, it, expect } from 'vitest';
import { ConnectionAcks } from '../../src/broker/acks.js';
import { RateLimiter } from '../../src/broker/rate.js';
import { ManualClock } from '../../src/core/clock.js';
import { until } from '../helpers/hub.js';

function deferred(): { promise: Promise<void>; resolve(): void; reject(e: Error): void } {
  let resolve = (): void => undefined;
  let reject = (_e: Error): void => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every settled promise's reactions run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function connection(rate: RateLimiter, clock: ManualClock, log: string[] = []): ConnectionAcks {
  return new ConnectionAcks({ take: (n, now) => rate.take('dev', n, now), now: () => clock.now(), closed: () => false, failed: (e, n) => log.push(`failed ${n}: ${e.message}`) });
}

describe('ConnectionAcks: a connection\'s acknowledgements in the order its messages arrived', () => {
  it('a later batch landing first waits for the earlier one: PUBACKs in PUBLISH order', async () => {
    const clock = new ManualClock(0);
    const acks = connection(new RateLimiter({ ratePerSecond: 1000, burst: 1000 }), clock);
    const first = deferred();
    const second = deferred();
    const order: string[] = [];
    acks.afterDurable(first.promise, 1, () => order.push('m1'));
    acks.afterDurable(first.promise, 1, () => order.push('m2'));
    acks.afterDurable(second.promise, 1, () => order.push('m3'));
    second.resolve();
    await settle();
    expect(order).toEqual([]);
    first.resolve();
    await settle();
    expect(order).toEqual(['m1', 'm2', 'm3']);
  });

  it('an acknowledgement held for the rate is not overtaken by a later one that is within the rate', async () => {
    const clock = new ManualClock(0);
    const acks = connection(new RateLimiter({ ratePerSecond: 10, burst: 1 }), clock);
    const order: string[] = [];
    acks.withinRate(1, clock.now(), () => order.push('m1')); // the burst: at once
    acks.withinRate(1, clock.now(), () => order.push('m2')); // 100 ms of debt: held
    expect(order).toEqual(['m1']);
    clock.advance(250); // paid back and refilled before the held one's timer ran
    acks.withinRate(1, clock.now(), () => order.push('m3'));
    expect(order).toEqual(['m1']);
    await until(() => order.length === 3 || undefined, 10_000, 'the held acknowledgements');
    expect(order).toEqual(['m1', 'm2', 'm3']);
  });

  it('a failed batch answers its messages with the error, once logged; the next batch is still acknowledged', async () => {
    const clock = new ManualClock(0);
    const log: string[] = [];
    const acks = connection(new RateLimiter({ ratePerSecond: 1000, burst: 1000 }), clock, log);
    const failing = deferred();
    const next = deferred();
    const got: string[] = [];
    acks.afterDurable(failing.promise, 1, (err) => got.push(`m1 ${err?.message ?? 'ok'}`));
    acks.afterDurable(failing.promise, 1, (err) => got.push(`m2 ${err?.message ?? 'ok'}`));
    acks.afterDurable(next.promise, 1, (err) => got.push(`m3 ${err?.message ?? 'ok'}`));
    next.resolve();
    failing.reject(new Error('spool unwritable'));
    await settle();
    expect(got).toEqual(['m1 spool unwritable', 'm2 spool unwritable', 'm3 ok']);
    expect(log).toEqual(['failed 2: spool unwritable']);
  });

  it('a batch\'s readings are spent from the rate once it is durable, message by message', async () => {
    const clock = new ManualClock(0);
    const rate = new RateLimiter({ ratePerSecond: 10, burst: 100 });
    const acks = connection(rate, clock);
    const batch = deferred();
    const order: string[] = [];
    acks.afterDurable(batch.promise, 60, () => order.push('a'));
    acks.afterDurable(batch.promise, 60, () => order.push('b')); // 20 readings over: 2 s of debt
    expect(rate.owed('dev', 0)).toBe(0); // nothing spent before it is durable
    batch.resolve();
    await settle();
    expect(order).toEqual(['a']);
    expect(rate.owed('dev', 0)).toBe(2000);
    clock.advance(2000);
    await until(() => order.length === 2 || undefined, 10_000, 'the held acknowledgement');
    expect(order).toEqual(['a', 'b']);
  });
});
