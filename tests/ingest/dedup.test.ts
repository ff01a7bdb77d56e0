import { describe, it, expect } from 'vitest';
import { deviceNs, ReadingDedup, RECEIVE_NS_BASE } from '../../src/ingest/dedup.js';

describe('ReadingDedup', () => {
  it('finds a reading again only by the same seq and the same content hash', () => {
    const d = new ReadingDedup();
    const a = d.device('a');
    expect(a.find(1, 10, 20)).toBe(-1);
    const slot = a.add(1, 10, 20, 1000, 5);
    expect(a.find(1, 10, 20)).toBe(slot);
    expect(a.find(1, 11, 20)).toBe(-1); // a rebooted device: seq 1 again, other content
    expect(a.find(1, 10, 21)).toBe(-1);
    expect(a.find(2, 10, 20)).toBe(-1);
    expect(d.device('b').find(1, 10, 20)).toBe(-1);
    expect([a.ts[slot], a.ns[slot], a.stored[slot]]).toEqual([1000, 5, 0]);
  });

  it('marks a slot stored only while it still holds the same reading', () => {
    const d = new ReadingDedup({ window: 16 });
    const a = d.device('a');
    const slot = a.add(7, 1, 1, 0, 0);
    a.markStored(slot, 7, 1);
    expect(a.stored[slot]).toBe(1);
    for (let s = 100; s < 116; s++) a.add(s, 1, 1, 0, 0); // the ring wraps over the slot
    a.markStored(slot, 7, 1);
    expect(a.stored[slot]).toBe(0);
    expect(a.find(7, 1, 1)).toBe(-1);
  });

  it('grows a ring up to the window, keeping its readings, and forgets the least recent device past maxEntries', () => {
    const d = new ReadingDedup({ window: 64, maxEntries: 100 });
    const a = d.device('a');
    d.reserve(a, 50);
    for (let s = 0; s < 50; s++) a.add(s, s, s, s, 0);
    expect(a.capacity).toBe(64);
    for (let s = 0; s < 50; s++) expect(a.find(s, s, s)).toBeGreaterThanOrEqual(0);
    d.device('b');
    d.device('c');
    expect(d.size).toBe(3);
    const c = d.device('c');
    d.reserve(c, 30); // 64 + 16 + 32 > 100: a, the least recently seen, goes
    expect(d.size).toBe(2);
    expect(d.device('a').find(1, 1, 1)).toBe(-1);
  });

  it('past maxEntries, keeps a device seen again after a newer one was first seen, and forgets the newer', () => {
    const d = new ReadingDedup({ window: 16, maxEntries: 48 });
    d.device('a').add(1, 1, 1, 1, 0);
    d.device('b').add(1, 1, 1, 1, 0);
    d.device('a'); // a is seen again: b is now the least recently seen
    d.device('c').add(1, 1, 1, 1, 0);
    d.device('e'); // 4 x 16 > 48: one must go
    expect(d.size).toBe(3);
    expect(d.device('a').find(1, 1, 1)).toBeGreaterThanOrEqual(0);
    expect(d.device('c').find(1, 1, 1)).toBeGreaterThanOrEqual(0);
    expect(d.device('b').find(1, 1, 1)).toBe(-1);
  });

  it('finds every reading the ring still holds after it wrapped, and only those, whatever order the seqs came in', () => {
    const a = new ReadingDedup({ window: 16 }).device('a');
    // a device counting up to 12, rebooted, counting again from 0: the ring holds the last 16
    const seqs = [...Array.from({ length: 12 }, (_, i) => i + 1), ...Array.from({ length: 8 }, (_, i) => i)];
    const slots = seqs.map((seq, i) => a.add(seq, 100 + i, 200 + i, i, 0));
    seqs.forEach((seq, i) => expect(a.find(seq, 100 + i, 200 + i), `reading ${i} (seq ${seq})`).toBe(i < 4 ? -1 : slots[i]));
    expect(a.find(13, 100, 200)).toBe(-1); // above every seq seen: new without a scan
  });

  it('gives receive-stamped readings of the same millisecond distinct sub-ms parts, apart from device-stamped ones', () => {
    const a = new ReadingDedup().device('a');
    expect([a.receiveNs(5), a.receiveNs(5), a.receiveNs(5), a.receiveNs(6)]).toEqual([RECEIVE_NS_BASE, RECEIVE_NS_BASE + 1, RECEIVE_NS_BASE + 2, RECEIVE_NS_BASE]);
    expect(deviceNs(3, 99)).toBe(3);
    expect(deviceNs(undefined, 99)).toBe(99);
    expect(deviceNs(2 ** 40, 0)).toBeLessThan(RECEIVE_NS_BASE);
  });
});
