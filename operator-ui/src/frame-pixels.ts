/**
 * @module Turns decoded VideoFrames into pixels cheaply, in memory it reuses.
 *
 * Without a GPU, `drawImage(videoFrame)` converts YUV to RGB on a slow path: about 15 ms per 720p frame here,
 * several times the decode itself. `VideoFrame.copyTo({ format: 'RGBA' })` converts with libyuv in about 1 ms,
 * and `putImageData` plus a canvas-to-canvas draw are cheap. The buffer is kept between frames: fresh memory
 * costs more to first touch than the copy itself on this kind of machine (see docs/performance.md).
 */
import type { VideoSample } from 'mediabunny';

export class FramePixels {
  private buffer = new Uint8ClampedArray(0);

  /** Copies the frame's visible pixels as RGBA into this object's buffer, which the next call overwrites. */
  async rgba(frame: VideoFrame): Promise<ImageData> {
    const { width, height } = frame.visibleRect ?? { width: frame.displayWidth, height: frame.displayHeight };
    const bytes = width * height * 4;
    if (this.buffer.length !== bytes) this.buffer = new Uint8ClampedArray(bytes);
    await frame.copyTo(this.buffer, { format: 'RGBA', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
    return new ImageData(this.buffer, width, height);
  }

  /** Writes a decoded sample's visible pixels into `target`, resized to fit. */
  async paint(sample: VideoSample, target: OffscreenCanvas): Promise<void> {
    const frame = sample.toVideoFrame();
    try {
      const image = await this.rgba(frame);
      if (target.width !== image.width || target.height !== image.height) {
        target.width = image.width;
        target.height = image.height;
      }
      const context = target.getContext('2d');
      if (!context) throw new Error('no 2d context for a video frame');
      context.putImageData(image, 0, 0);
    } finally {
      frame.close();
    }
  }
}
