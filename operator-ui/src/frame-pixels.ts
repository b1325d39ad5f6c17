/**
 * @module Turns decoded VideoFrames into pixels cheaply, in memory it reuses.
 *
 * Without a GPU, `drawImage(videoFrame)` converts YUV to RGB on a slow path: about 15 ms per 720p frame here,
 * several times the decode itself. `VideoFrame.copyTo({ format: 'RGBA' })` converts with libyuv in about 1 ms,
 * and `putImageData` plus a canvas-to-canvas draw are cheap. The buffer is kept between frames: fresh memory
 * costs more to first touch than the copy itself on this kind of machine (see docs/performance.md).
 */
import type { VideoSample } from 'mediabunny';

/** Formats whose pixels can be copied as they are and handed back to WebCodecs. */
const RGB_FORMATS: readonly VideoPixelFormat[] = ['RGBA', 'RGBX', 'BGRA', 'BGRX'];

export interface FrameCopy {
  data: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
  format: VideoPixelFormat;
}

export class FramePixels {
  private buffer: Uint8ClampedArray<ArrayBuffer> = new Uint8ClampedArray(0);

  /** Copies the frame's visible pixels as RGBA into this object's buffer, which the next call overwrites. */
  async rgba(frame: VideoFrame): Promise<ImageData> {
    const { data, width, height } = await this.copy(frame, 'RGBA');
    return new ImageData(data, width, height);
  }

  /**
   * Copies the frame's visible pixels into this object's buffer, in the frame's own layout when that is RGB (a
   * canvas snapshot is BGRA: a plain copy, about 1 ms a 720p frame less than swapping it to RGBA), else as RGBA.
   */
  async asIs(frame: VideoFrame): Promise<FrameCopy> {
    const format = frame.format && RGB_FORMATS.includes(frame.format) ? frame.format : 'RGBA';
    return this.copy(frame, format);
  }

  private async copy(frame: VideoFrame, format: VideoPixelFormat): Promise<FrameCopy> {
    const { width, height } = frame.visibleRect ?? { width: frame.displayWidth, height: frame.displayHeight };
    const bytes = width * height * 4;
    if (this.buffer.length !== bytes) this.buffer = new Uint8ClampedArray(bytes);
    const options = format === frame.format ? {} : { format, colorSpace: 'srgb' };
    await frame.copyTo(this.buffer, options as VideoFrameCopyToOptions);
    return { data: this.buffer, width, height, format };
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
