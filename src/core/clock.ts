// The clock is passed in: pure logic never reads the time itself, so tests can drive it.
export interface Clock {
  now(): number; // ms since epoch
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock the test or the simulator moves by hand. */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}
