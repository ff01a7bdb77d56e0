// Seeded randomness for the simulator. Every signal is a pure function of (device, t, rng), so a
// run with the same seed produces the same readings (sfc32 seeded through cyrb128 string hashing).

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
}

/** cyrb128: a fast 128-bit string hash, used to seed generators from (seed, device, slot) keys. */
function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** sfc32 small fast counter generator. */
function sfc32(a: number, b: number, c: number, d: number): Rng {
  return {
    next(): number {
      a |= 0; b |= 0; c |= 0; d |= 0;
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
      return (t >>> 0) / 4294967296;
    },
  };
}

/** A generator seeded from any list of keys, e.g. rngFor(seed, deviceId, slot). */
export function rngFor(...keys: (string | number)[]): Rng {
  const [a, b, c, d] = cyrb128(keys.join('\u0001'));
  const rng = sfc32(a, b, c, d);
  for (let i = 0; i < 12; i++) rng.next(); // warm up
  return rng;
}

/** One uniform number in [0, 1) for a key: a stable "coin" for a device trait or a time slot. */
export function hashUnit(...keys: (string | number)[]): number {
  return rngFor(...keys).next();
}

export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

/** Approximately normal (Irwin-Hall of 4), mean 0, standard deviation `sd`. */
export function gauss(rng: Rng, sd: number): number {
  const s = rng.next() + rng.next() + rng.next() + rng.next() - 2;
  return s * sd * Math.sqrt(3);
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
