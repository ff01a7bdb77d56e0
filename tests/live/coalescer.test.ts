import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../src/live/coalescer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Coalescer', () => {
  it('emits the first value at once, then the latest once per interval, per key', async () => {
    const out: [string, number][] = [];
    const c = new Coalescer<number>(100, (k, v) => out.push([k, v]));
    c.push('a', 1);
    c.push('b', 10);
    expect(out).toEqual([['a', 1], ['b', 10]]);
    for (let i = 2; i <= 50; i++) c.push('a', i);
    expect(out).toHaveLength(2);
    const end = Date.now() + 5000;
    while (!out.some(([k, v]) => k === 'a' && v === 50) && Date.now() < end) await sleep(10);
    expect(out).toEqual([['a', 1], ['b', 10], ['a', 50]]);
    c.close();
  });

  it('close drops pending values', async () => {
    const out: number[] = [];
    const c = new Coalescer<number>(50, (_k, v) => out.push(v));
    c.push('a', 1);
    c.push('a', 2);
    c.close();
    await sleep(120);
    expect(out).toEqual([1]);
  });

  it('takes the time from the injected clock', () => {
    let now = 1000;
    const out: number[] = [];
    const c = new Coalescer<number>(100, (_k, v) => out.push(v), () => now);
    c.push('a', 1);
    now = 1100; // a full interval later: goes out at once
    c.push('a', 2);
    expect(out).toEqual([1, 2]);
    c.close();
  });
});
