/**
 * @module An idle timeout for downloads: the download fails when nothing arrives for a while, however long the
 * whole file takes, so a big clip on a slow but steady link succeeds and a stalled one fails fast.
 */
import { pipeline, Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export interface IdleTimeoutOptions {
  /** Longest wait for the answer, and then between two chunks of the body. */
  idleTimeoutMs: number;
  /** Aborts it too (the request was cancelled, the bot is closing). */
  signal?: AbortSignal;
}

/**
 * One download's countdown. Pass `signal` to the request; `stream()` the body. The countdown starts at once,
 * restarts on every chunk, and aborts `signal` when it runs out.
 */
export class IdleTimeout {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly idleTimeoutMs: number;
  private timer?: NodeJS.Timeout;
  private idledOut = false;

  constructor(options: IdleTimeoutOptions) {
    if (!Number.isInteger(options.idleTimeoutMs) || options.idleTimeoutMs < 1) {
      throw new TypeError(
        `IdleTimeoutOptions.idleTimeoutMs must be a positive integer, got ${options.idleTimeoutMs}`,
      );
    }
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.signal = options.signal
      ? AbortSignal.any([options.signal, this.controller.signal])
      : this.controller.signal;
    this.arm();
  }

  /** Whether the countdown ran out (rather than the caller's signal aborting). */
  get idled(): boolean {
    return this.idledOut;
  }

  /**
   * The body as a Node stream that restarts the countdown on every chunk and fails with `idleError()` when it runs
   * out. Destroying the stream (a size limit, a cancel) cancels the download.
   */
  stream(body: WebReadableStream<Uint8Array>, idleError: () => Error): Readable {
    const arm = () => this.arm();
    const counted = new Transform({
      transform(chunk, _encoding, callback) {
        arm();
        callback(null, chunk);
      },
    });
    const onAbort = () => counted.destroy(this.idledOut ? idleError() : this.signal.reason);
    this.signal.addEventListener('abort', onAbort, { once: true });
    counted.once('close', () => {
      this.signal.removeEventListener('abort', onAbort);
      this.stop();
    });
    pipeline(Readable.fromWeb(body), counted, () => {});
    return counted;
  }

  /** Ends the countdown (the download finished or failed). Idempotent. */
  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.idledOut = true;
      this.controller.abort(new Error(`download: nothing arrived for ${this.idleTimeoutMs} ms`));
    }, this.idleTimeoutMs);
  }
}
