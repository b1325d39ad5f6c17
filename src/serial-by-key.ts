/** @module Runs tasks one after another per key, in the order they were given; different keys run side by side. */

/**
 * Keeps order where it matters (one chat thread's messages) without making unrelated work wait.
 * A task that fails does not stop the ones after it; its caller gets the error.
 */
export class SerialByKey {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task);
    const tail = current.then(
      () => {},
      () => {},
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return current;
  }
}
