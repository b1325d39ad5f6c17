/**
 * @module A stand-in for the page's `VideoEncoder` during renders: each frame is copied into memory this encoder
 * owns and reuses, and only that copy is encoded.
 *
 * core's Encoder hands WebCodecs a frame that is a snapshot of its drawing canvas, then draws the next frame at
 * once. While the encoder still holds the snapshot, that draw makes Chromium copy the whole canvas into freshly
 * allocated memory, and on a machine where first-touching memory is expensive (a VM whose freed pages go back to
 * the host) that costs more than the encode itself. Here the snapshot is read into a reused buffer right away (FramePixels),
 * and the queue reports itself full until it has been, so core does not draw over a snapshot that is still held.
 */
import { FramePixels } from './frame-pixels.ts';

/** mediabunny (inside core) waits for a `dequeue` event once `encodeQueueSize` reaches this. */
const PRODUCER_WAITS_AT = 4;

class CopyingVideoEncoder extends EventTarget {
  private readonly inner: VideoEncoder;
  // One buffer is enough: copies run one at a time, and a VideoFrame made from a buffer copies it.
  private readonly pixels = new FramePixels();
  private copying = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(Inner: typeof VideoEncoder, init: VideoEncoderInit) {
    super();
    this.inner = new Inner(init);
    this.inner.addEventListener('dequeue', () => {
      if (this.copying === 0) this.dispatchEvent(new Event('dequeue'));
    });
  }

  get state(): CodecState {
    return this.inner.state;
  }

  get encodeQueueSize(): number {
    return this.inner.encodeQueueSize + (this.copying > 0 ? PRODUCER_WAITS_AT : 0);
  }

  configure(config: VideoEncoderConfig): void {
    this.inner.configure(config);
  }

  encode(frame: VideoFrame, options?: VideoEncoderEncodeOptions): void {
    const snapshot = frame.clone();
    this.copying++;
    this.chain = this.chain.then(async () => {
      try {
        const owned = await this.copyOf(snapshot);
        try {
          this.inner.encode(owned, options);
        } finally {
          owned.close();
        }
      } catch (error) {
        this.failure ??= error;
      } finally {
        snapshot.close();
        this.copying--;
        this.dispatchEvent(new Event('dequeue'));
      }
    });
  }

  async flush(): Promise<void> {
    await this.chain;
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
    const image = await this.pixels.rgba(frame);
    return new VideoFrame(image.data, {
      format: 'RGBA',
      codedWidth: image.width,
      codedHeight: image.height,
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
  Object.assign(Standin, { isConfigSupported: Inner.isConfigSupported.bind(Inner) });
  globalThis.VideoEncoder = Standin;
  return () => {
    globalThis.VideoEncoder = Inner;
  };
}
