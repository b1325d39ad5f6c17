/**
 * @module Turns decoded VideoFrames into canvases cheaply.
 *
 * Without a GPU, `drawImage(videoFrame)` converts YUV to RGB on a slow path: about 15 ms per 720p frame here,
 * several times the decode itself. `VideoFrame.copyTo({ format: 'RGBA' })` converts with libyuv in about 1 ms,
 * and `putImageData` plus a canvas-to-canvas draw are cheap.
 */

export class FramePixels {
  private buffer = new Uint8ClampedArray(0);

  /** Writes the frame's visible pixels into `target` (resized to fit) and returns it. */
  async paint(
    frame: VideoFrame,
    target: OffscreenCanvas = new OffscreenCanvas(1, 1),
  ): Promise<OffscreenCanvas> {
    const { width, height } = frame.visibleRect ?? { width: frame.displayWidth, height: frame.displayHeight };
    const bytes = width * height * 4;
    if (this.buffer.length !== bytes) this.buffer = new Uint8ClampedArray(bytes);
    await frame.copyTo(this.buffer, { format: 'RGBA', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
    if (target.width !== width || target.height !== height) {
      target.width = width;
      target.height = height;
    }
    const context = target.getContext('2d');
    if (!context) throw new Error('no 2d context for a video frame');
    context.putImageData(new ImageData(this.buffer, width, height), 0, 0);
    return target;
  }
}
