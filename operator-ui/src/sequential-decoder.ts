/**
 * @module A stand-in for core's per-clip video decoder during renders: mediabunny's sample iterator, with frames
 * converted to pixels the fast way (see FramePixels).
 *
 * core 4.0.3's decoder draws every frame with `drawImage(videoFrame)`, the slow path without a GPU, and re-scans
 * for the next key packet on every frame. `VideoClip.render` draws whatever `getBestFrameFor` returns (an
 * OffscreenCanvas as is). Leans on core internals (`videoDecoders`, `initRenderer`): core's version is pinned and
 * the render tests cover it.
 */
import * as core from '@diffusionstudio/core';
import { type VideoSample, VideoSampleSink } from 'mediabunny';
import { FramePixels } from './frame-pixels.ts';
import { mediaInput } from './media-input.ts';

interface VideoClipInternals {
  videoDecoders: WeakMap<core.Renderer, unknown>;
  initRenderer(renderer: core.Renderer): Promise<void>;
}

/** A forward jump longer than this restarts decoding at the new time instead of decoding through the gap. */
const MAX_DECODE_THROUGH_SECONDS = 2;

class SequentialDecoder {
  private iterator: AsyncGenerator<VideoSample, void, unknown> | null = null;
  private current: VideoSample | null = null;
  private upcoming: VideoSample | null = null;
  private painted: VideoSample | null = null;
  private readonly pixels = new FramePixels();
  private readonly canvas = new OffscreenCanvas(1, 1);

  constructor(private readonly sink: VideoSampleSink) {}

  async seekTo(time: number): Promise<void> {
    const current = this.current;
    if (
      !this.iterator ||
      !current ||
      time < current.timestamp ||
      time - current.timestamp > MAX_DECODE_THROUGH_SECONDS
    ) {
      await this.restart(time);
    }
    while (this.upcoming && this.upcoming.timestamp <= time) {
      this.replaceCurrent(this.upcoming);
      this.upcoming = (await this.iterator?.next())?.value ?? null;
    }
    if (this.current && this.painted !== this.current) {
      const frame = this.current.toVideoFrame();
      try {
        await this.pixels.paint(frame, this.canvas);
      } finally {
        frame.close();
      }
      this.painted = this.current;
    }
  }

  getBestFrameFor(): OffscreenCanvas | null {
    return this.painted ? this.canvas : null;
  }

  reset(): void {
    void this.iterator?.return();
    this.iterator = null;
    this.replaceCurrent(null);
    this.upcoming?.close();
    this.upcoming = null;
  }

  private async restart(time: number): Promise<void> {
    this.reset();
    this.iterator = this.sink.samples(Math.max(0, time));
    this.replaceCurrent((await this.iterator.next()).value ?? null);
    this.upcoming = (await this.iterator.next()).value ?? null;
  }

  private replaceCurrent(sample: VideoSample | null): void {
    if (this.painted === this.current) this.painted = null;
    this.current?.close();
    this.current = sample;
  }
}

/**
 * Makes every video clip of the composition use a SequentialDecoder on renderers created from now on (core's
 * Encoder creates its own). Returns the function that restores core's decoders.
 */
export function useSequentialDecoders(composition: core.Composition): () => void {
  const restores: (() => void)[] = [];
  for (const clip of composition.clips) {
    if (!(clip instanceof core.VideoClip)) continue;
    const internals = clip as unknown as VideoClipInternals;
    const media = mediaInput(clip.source);
    const decoders: SequentialDecoder[] = [];
    const original = internals.initRenderer;
    internals.initRenderer = async function initRenderer(renderer: core.Renderer) {
      await original.call(clip, renderer);
      const track = await media.getPrimaryVideoTrack();
      if (!track) return;
      const decoder = new SequentialDecoder(new VideoSampleSink(track));
      decoders.push(decoder);
      internals.videoDecoders.set(renderer, decoder);
    };
    restores.push(() => {
      // Own property removed: the prototype's method is back.
      delete (internals as Partial<VideoClipInternals>).initRenderer;
      for (const decoder of decoders) decoder.reset();
    });
  }
  return () => {
    for (const restore of restores) restore();
  };
}
