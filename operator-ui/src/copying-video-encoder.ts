/**
 * @module A stand-in for the page's `VideoEncoder` during renders: each frame is copied into memory this encoder
 * owns and reuses, and only that copy is encoded.
 *
 * core's Encoder hands WebCodecs a frame that is a snapshot of its drawing canvas, then draws the next frame at
 * once. While the encoder still holds the snapshot, that draw makes Chromium copy the whole canvas into freshly
 * allocated memory, and on a machine where first-touching memory is expensive (a VM whose freed pages go back to
 * the host) that costs more than the encode itself. Here the snapshot is read into a reused buffer right away (FramePixels),
 * and the queue reports itself full until it has been, so core does not draw over a snapshot that is still held.
 *
 * Chromium answers `isConfigSupported` by building an encoder, 25–80 ms for 720p and 120–160 ms for 1080p on the
 * reference machine, and mediabunny asks before every render. The stand-in answers at once and checks for real in
 * `configure`, while core draws and copies the first frames; a configuration the browser cannot encode fails the
 * render with the same kind of message.
 */
import { FramePixels } from './frame-pixels.ts';

/** mediabunny (inside core) waits for a `dequeue` event once `encodeQueueSize` reaches this. */
const PRODUCER_WAITS_AT = 4;
/** Copied frames that may wait for the support check (3.7 MB each at 720p). */
const MAX_WAITING = 8;

class CopyingVideoEncoder extends EventTarget {
  private readonly inner: VideoEncoder;
  // One buffer is enough: copies run one at a time, and a VideoFrame made from a buffer copies it.
  private readonly pixels = new FramePixels();
  /** Frames taken from core and not yet copied. */
  private unCopied = 0;
  /** Copied frames not yet handed to the encoder. */
  private waiting = 0;
  private copying: Promise<void> = Promise.resolve();
  private encoding: Promise<void> = Promise.resolve();
  private configured: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly Inner: typeof VideoEncoder,
    init: VideoEncoderInit,
  ) {
    super();
    this.inner = new Inner(init);
    this.inner.addEventListener('dequeue', () => {
      if (this.unCopied === 0) this.dispatchEvent(new Event('dequeue'));
    });
  }

  get state(): CodecState {
    return this.inner.state;
  }

  get encodeQueueSize(): number {
    const busy = this.unCopied > 0 || this.waiting >= MAX_WAITING;
    return this.inner.encodeQueueSize + (busy ? PRODUCER_WAITS_AT : 0);
  }

  configure(config: VideoEncoderConfig): void {
    this.configured = this.Inner.isConfigSupported(config).then(({ supported }) => {
      if (!supported) {
        throw new Error(
          `This encoder configuration (${config.codec}, ${config.bitrate} bps, ${config.width}x${config.height}) is not supported by this browser.`,
        );
      }
      this.inner.configure(config);
    });
    this.configured.catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  encode(frame: VideoFrame, options?: VideoEncoderEncodeOptions): void {
    if (this.failure) throw this.failure;
    const snapshot = frame.clone();
    this.unCopied++;
    this.copying = this.copying.then(async () => {
      let owned: VideoFrame | undefined;
      try {
        owned = await this.copyOf(snapshot);
      } catch (error) {
        this.failure ??= error;
      } finally {
        snapshot.close();
        this.unCopied--;
        this.waiting++;
        this.dispatchEvent(new Event('dequeue'));
      }
      // Encoding waits for the support check on a chain of its own, so copies go on meanwhile.
      this.encoding = this.encoding.then(async () => {
        try {
          await this.configured;
          if (owned) this.inner.encode(owned, options);
        } catch (error) {
          this.failure ??= error;
        } finally {
          owned?.close();
          this.waiting--;
          this.dispatchEvent(new Event('dequeue'));
        }
      });
    });
  }

  async flush(): Promise<void> {
    await this.copying;
    await this.encoding;
    if (this.failure) throw this.failure;
    await this.inner.flush();
  }

  reset(): void {
    this.inner.reset();
  }

  close(): void {
    this.inner.close();
  }

  private async copyOf(frame: VideoFrame): Promise<VideoFrame> {
    const copy = await this.pixels.asIs(frame);
    return new VideoFrame(copy.data, {
      format: copy.format,
      codedWidth: copy.width,
      codedHeight: copy.height,
      timestamp: frame.timestamp,
      duration: frame.duration ?? undefined,
    });
  }
}

/** Makes `new VideoEncoder()` build a CopyingVideoEncoder until the returned function is called. */
export function useCopyingVideoEncoder(): () => void {
  const Inner = globalThis.VideoEncoder;
  const Standin = function VideoEncoder(init: VideoEncoderInit) {
    return new CopyingVideoEncoder(Inner, init);
  } as unknown as typeof VideoEncoder;
  Object.assign(Standin, {
    isConfigSupported: async (config: VideoEncoderConfig): Promise<VideoEncoderSupport> => ({
      supported: true,
      config,
    }),
  });
  globalThis.VideoEncoder = Standin;
  return () => {
    globalThis.VideoEncoder = Inner;
  };
}
