// One-at-a-time execution: each job starts when the previous one has settled, in call order.
// (A failing job does not stop the queue; its caller gets the rejection.)
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(() => job());
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** resolves once every job queued so far has settled */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
