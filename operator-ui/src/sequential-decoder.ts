/**
 * @module Replaces core's per-clip video decoder, for every renderer (the live player and the Encoder's), with
 * mediabunny's sample iterator and frames converted to pixels the fast way (see FramePixels).
 *
 * core 4.0.3's decoder draws every frame with `drawImage(videoFrame)`, the slow path without a GPU: about 40 ms per
 * 720p frame while a render runs beside it. Its player decoder keeps decoding the frames that lead up to the last
 * seek (a second's worth after every code action) and so competed with the next render or preview. It also
 * re-scans for the next key packet on every frame. `VideoClip.render` draws whatever `getBestFrameFor` returns
 * (an OffscreenCanvas as is). Leans on core internals (`videoDecoders`, `initRenderer`): core's version is pinned
 * and the render tests cover it.
 */
import * as core from '@diffusionstudio/core';
import { type VideoSample, VideoSampleSink } from 'mediabunny';
import { FramePixels } from './frame-pixels.ts';
import { videoTrackOf } from './media-input.ts';

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
  /** The live player asks for new times without waiting: requests made meanwhile coalesce into the latest. */
  private catchingUp: Promise<void> | null = null;
  private requestedTime = 0;
  /** Bumped by reset(), so a catch-up that was under way drops what it decoded for the old position. */
  private generation = 0;

  constructor(private readonly sink: VideoSampleSink) {}

  seekTo(time: number): Promise<void> {
    this.requestedTime = time;
    this.catchingUp ??= this.catchUp().finally(() => {
      this.catchingUp = null;
    });
    return this.catchingUp;
  }

  getBestFrameFor(): OffscreenCanvas | null {
    return this.painted ? this.canvas : null;
  }

  reset(): void {
    this.generation++;
    void this.iterator?.return();
    this.iterator = null;
    this.replaceCurrent(null);
    this.upcoming?.close();
    this.upcoming = null;
  }

  private async catchUp(): Promise<void> {
    let target: number;
    do {
      target = this.requestedTime;
      await this.advanceTo(target);
    } while (this.requestedTime !== target);
  }

  private async advanceTo(time: number): Promise<void> {
    const current = this.current;
    if (
      !this.iterator ||
      !current ||
      time < current.timestamp ||
      time - current.timestamp > MAX_DECODE_THROUGH_SECONDS
    ) {
      await this.restart(time);
    }
    // After the restart's own reset(): only a reset() from outside from here on makes this catch-up stale.
    const generation = this.generation;
    while (this.upcoming && this.upcoming.timestamp <= time) {
      this.replaceCurrent(this.upcoming);
      this.upcoming = await this.next(generation);
    }
    if (generation !== this.generation) return;
    if (this.current && this.painted !== this.current) {
      await this.pixels.paint(this.current, this.canvas);
      this.painted = this.current;
    }
  }

  private async restart(time: number): Promise<void> {
    this.reset();
    const generation = this.generation;
    this.iterator = this.sink.samples(Math.max(0, time));
    this.replaceCurrent(await this.next(generation));
    this.upcoming = await this.next(generation);
  }

  /** The iterator's next sample, or null at its end or when a reset() came in while it was decoding. */
  private async next(generation: number): Promise<VideoSample | null> {
    const sample = (await this.iterator?.next())?.value ?? null;
    if (generation === this.generation) return sample;
    sample?.close();
    return null;
  }

  private replaceCurrent(sample: VideoSample | null): void {
    if (this.painted === this.current) this.painted = null;
    this.current?.close();
    this.current = sample;
  }
}

/**
 * Makes every VideoClip use a SequentialDecoder on every renderer it is set up for from now on. Installed once,
 * when the page starts, before any clip exists.
 */
export function installSequentialDecoders(): void {
  const prototype = core.VideoClip.prototype as unknown as VideoClipInternals;
  // What VideoClip's own initRenderer calls first (audio set-up), without the decoder of core's it then makes.
  const parent = Object.getPrototypeOf(prototype) as VideoClipInternals;
  prototype.initRenderer = async function initRenderer(this: core.VideoClip, renderer: core.Renderer) {
    await parent.initRenderer.call(this, renderer);
    const track = await videoTrackOf(this.source);
    const decoder = new SequentialDecoder(new VideoSampleSink(track));
    (this as unknown as VideoClipInternals).videoDecoders.set(renderer, decoder);
    // A render's first frame is decoded while core sets up the rest. Only for clips on screen at 0: decoders
    // hold several decoded frames once started, too much memory to start every clip of a long edit early.
    if (renderer.audioCtx instanceof OfflineAudioContext && this.start <= 0) {
      decoder.seekTo(this.range[0]).catch(() => {});
    }
  };
}
