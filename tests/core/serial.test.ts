import { describe, expect, it } from 'vitest';
import { Serial } from '../../src/core/serial.js';

describe('Serial', () => {
  it('runs jobs one at a time, in call order, a failure not stopping the queue', async () => {
    const s = new Serial();
    const log: string[] = [];
    let release!: () => void;
    const first = s.run(() => new Promise<void>((r) => { log.push('1 start'); release = () => { log.push('1 end'); r(); }; }));
    const second = s.run(() => { log.push('2'); throw new Error('boom'); });
    const third = s.run(() => { log.push('3'); return 3; });
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(['1 start']);
    release();
    await first;
    await expect(second).rejects.toThrow('boom');
    await expect(third).resolves.toBe(3);
    expect(log).toEqual(['1 start', '1 end', '2', '3']);
  });

  it('is busy from the moment a job is queued until every queued job has settled, failed ones too', async () => {
    const s = new Serial();
    expect(s.busy).toBe(false);
    let release!: () => void;
    const a = s.run(() => new Promise<void>((r) => { release = r; }));
    expect(s.busy).toBe(true); // queued, not started yet: work done now would overtake it
    const b = s.run(() => Promise.reject(new Error('x')));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(s.busy).toBe(true); // the first job still runs
    release();
    await a;
    await expect(b).rejects.toThrow('x');
    await s.idle();
    expect(s.busy).toBe(false);
  });
});
