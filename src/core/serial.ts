// One-at-a-time execution: each job starts when the previous one has settled, in call order.
// (A failing job does not stop the queue; its caller gets the rejection.)
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private readonly settled = (): void => {
    this.queued--;
  };

  run<T>(job: () => Promise<T> | T): Promise<T> {
    this.queued++;
    const result = this.tail.then(() => job());
    this.tail = result.then(this.settled, this.settled);
    return result;
  }

  /** true while a job runs or waits: work done now, synchronously, would overtake it */
  get busy(): boolean {
    return this.queued > 0;
  }

  /** resolves once every job queued so far has settled */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
