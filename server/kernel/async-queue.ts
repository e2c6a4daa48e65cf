/**
 * A single-consumer queue bridging callbacks to `for await`: producers
 * `push` values or `fail`/`end` it, the consumer iterates. Unbounded, which
 * is fine for token streams whose producer is paced by a model.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private ended = false;
  /** Set by `fail`; boxed so any thrown value, even a falsy one, still fails the stream. */
  private failure: { error: unknown } | undefined;

  /** Adds a value for the consumer. Ignored after `end` or `fail`. */
  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve({ value: item, done: false });
    } else this.items.push(item);
  }

  /** Ends the stream after the queued values. */
  end(): void {
    this.finish(undefined);
  }

  /** Ends the stream with an error, raised after the queued values. */
  fail(error: unknown): void {
    this.finish({ error: error ?? new Error('failed') });
  }

  private finish(failure: { error: unknown } | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      if (failure) w.reject(failure.error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  /** The next value, or done. */
  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.ended) return this.failure ? Promise.reject(this.failure.error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next() };
  }
}
