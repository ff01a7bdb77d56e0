import { describe, it, expect } from 'vitest';
import { SeqDedup } from '../../src/ingest/dedup.js';

describe('SeqDedup', () => {
  it('claims a seq once per device', () => {
    const d = new SeqDedup();
    expect(d.claim('a', 1)).toBe(true);
    expect(d.claim('a', 1)).toBe(false);
    expect(d.claim('b', 1)).toBe(true);
    expect(d.claim('a', 2)).toBe(true);
  });

  it('release gives a failed write\'s seq back', () => {
    const d = new SeqDedup();
    expect(d.claim('a', 9)).toBe(true);
    d.release('a', 9);
    expect(d.has('a', 9)).toBe(false);
    expect(d.claim('a', 9)).toBe(true);
  });

  it('remembers only a window of recent seqs per device', () => {
    const d = new SeqDedup({ window: 3 });
    for (const s of [1, 2, 3, 4]) expect(d.claim('a', s)).toBe(true);
    expect(d.has('a', 1)).toBe(false);
    expect(d.claim('a', 4)).toBe(false);
    expect(d.claim('a', 2)).toBe(false);
  });

  it('forgets the least recently seen device first', () => {
    const d = new SeqDedup({ maxDevices: 2 });
    d.claim('a', 1);
    d.claim('b', 1);
    d.claim('a', 2); // a is now the most recent
    d.claim('c', 1); // evicts b
    expect(d.size).toBe(2);
    expect(d.has('b', 1)).toBe(false);
    expect(d.has('a', 1)).toBe(true);
    expect(d.has('c', 1)).toBe(true);
  });
});
