/**
 * @module Frame-exact sampling: one sorted decoding pass over just the needed source frames, composited through
 * core's own layer update/render on a private renderer.
 *
 * `composition.seek()` + `screenshot()` returns stale frames, and a private renderer with core's own clip decoder
 * decodes every frame in between. Instead each video clip gets a stand-in decoder on the private renderer that
 * serves the frame mediabunny's `samplesAtTimestamps` decodes for each time as the loop reaches it. This leans on core 4.0.3 internals
 * (`VideoClip.videoDecoders`, layer `update`/`render`), which is why core's version is pinned and tested.
 */
import * as core from '@diffusionstudio/core';
import { type VideoSample, VideoSampleSink } from 'mediabunny';
import { FramePixels } from './frame-pixels.ts';
import { videoTrackOf } from './media-input.ts';
import type { SampleRequest, SampleResponse } from './protocol.ts';

// VideoClip.render draws an OffscreenCanvas as it is.
type Drawable = OffscreenCanvas;

interface StandInDecoder {
  current: Drawable | null;
  seekTo(time: number): Promise<void>;
  getBestFrameFor(time: number): Drawable | null;
  reset(): void;
}

interface VideoClipInternals {
  videoDecoders: WeakMap<core.Renderer, unknown>;
}

const SHEET_COLUMNS = 5;

export async function sampleFrames(
  composition: core.Composition,
  request: SampleRequest,
): Promise<SampleResponse> {
  const times = [...request.times].sort((a, b) => a - b);
  const scale = request.width / composition.width;
  const renderer = new core.Renderer({
    width: composition.width,
    height: composition.height,
    background: composition.settings.background,
    resolution: scale,
    // An offline context makes clips await their decoders; nothing is ever rendered into it.
    context: new OfflineAudioContext(1, 1, 8000),
  });

  const videoClips: ClipFrames[] = [];
  const initialised: core.Clip[] = [];
  composition.renderer.stop();
  try {
    for (const clip of composition.clips) {
      if (clip instanceof core.VideoClip) {
        const frames = new ClipFrames(clip, times, canvasSlot(videoClips.length));
        (clip as unknown as VideoClipInternals).videoDecoders.set(renderer, frames.decoder);
        videoClips.push(frames);
      } else if (clip.type !== 'AUDIO') {
        await clip.initRenderer(renderer);
        initialised.push(clip);
      }
    }

    const frames: SampleResponse['frames'] = [];
    const jpegs: Promise<string>[] = [];
    const sheet = new ContactSheet(times.length, renderer.canvas.width, renderer.canvas.height);
    for (const time of times) {
      for (const clip of videoClips) await clip.showFrameAt(time);
      renderer.playbackOffset = time;
      const layers = composition.layers;
      for (let i = layers.length - 1; i >= 0; i--) await layers[i].update(renderer);
      renderer.clear();
      for (let i = layers.length - 1; i >= 0; i--) layers[i].render(renderer);
      // Canvas-to-canvas draws are cheap here; pixel readbacks are not: the sheet takes the frame directly.
      sheet.add(frames.length, time, renderer.canvas);
      // Encoding starts from a snapshot taken now and finishes off the main thread while the next frame is made.
      jpegs.push(toJpegBase64(renderer.canvas, request.quality));
      frames.push({ time, jpegBase64: '' });
    }
    jpegs.push(toJpegBase64(sheet.canvas, request.quality));
    const encoded = await Promise.all(jpegs);
    for (const [i, frame] of frames.entries()) frame.jpegBase64 = encoded[i];
    return {
      frames,
      sheetBase64: encoded[frames.length],
      width: renderer.canvas.width,
      height: renderer.canvas.height,
    };
  } finally {
    for (const clip of initialised) await clip.deinitRenderer(renderer).catch(() => {});
    for (const clip of videoClips) {
      (clip.clip as unknown as VideoClipInternals).videoDecoders.delete(renderer);
      await clip.close();
    }
    composition.renderer.start();
    await composition.seek(composition.currentTime);
  }
}

/**
 * Canvases the sampled source frames are painted into, kept between calls: fresh frame-sized memory costs more to
 * first touch than the paint itself (see docs/performance.md). One per video clip of the largest composition sampled.
 */
const canvasSlots: OffscreenCanvas[] = [];
const stagingPixels = new FramePixels();

function canvasSlot(index: number): OffscreenCanvas {
  canvasSlots[index] ??= new OffscreenCanvas(1, 1);
  return canvasSlots[index];
}

/**
 * One video clip's source frames at the sample times, decoded in one sorted pass as the sampling loop reaches
 * each time, and served to core's `VideoClip.render` through a stand-in for its decoder.
 */
class ClipFrames {
  readonly decoder: StandInDecoder = makeStandIn();
  /** Sample time → source time, for the times this clip is on screen. */
  private readonly wanted = new Map<number, number>();
  private samples: AsyncGenerator<VideoSample | null, void, unknown> | null = null;
  private paintedTimestamp: number | null = null;
  private shownTime: number | null = null;

  constructor(
    readonly clip: core.VideoClip,
    times: number[],
    private readonly canvas: OffscreenCanvas,
  ) {
    const transitionTail = clip.transition ? core.parseTime(clip.transition.duration) : 0;
    for (const time of times) {
      if (time < clip.start || time > clip.end + transitionTail) continue;
      this.wanted.set(time, time - clip.delay);
    }
  }

  /** Points the stand-in decoder at this clip's frame for `time`; times must come in ascending order. */
  async showFrameAt(time: number): Promise<void> {
    if (time === this.shownTime) return;
    this.shownTime = time;
    this.decoder.current = null;
    if (!this.wanted.has(time)) return;
    const samples = this.samples ?? (await this.open());
    const sample = (await samples.next()).value ?? null;
    if (!sample) return;
    try {
      if (sample.timestamp !== this.paintedTimestamp) {
        await stagingPixels.paint(sample, this.canvas);
        this.paintedTimestamp = sample.timestamp;
      }
    } finally {
      sample.close();
    }
    this.decoder.current = this.canvas;
  }

  async close(): Promise<void> {
    await this.samples?.return();
  }

  private async open(): Promise<AsyncGenerator<VideoSample | null, void, unknown>> {
    const track = await videoTrackOf(this.clip.source);
    const firstTimestamp = await track.getFirstTimestamp();
    // Sample times are seconds apart, so each is usually its own key frame: no reordering delay is worth it.
    const sink = new VideoSampleSink(track, { optimizeForLatency: true });
    this.samples = sink.samplesAtTimestamps(
      [...this.wanted.values()].map((t) => Math.max(firstTimestamp, t)),
    );
    return this.samples;
  }
}

function makeStandIn(): StandInDecoder {
  return {
    current: null,
    async seekTo() {},
    getBestFrameFor() {
      return this.current;
    },
    reset() {},
  };
}

async function toJpegBase64(canvas: HTMLCanvasElement | OffscreenCanvas, quality: number): Promise<string> {
  const blob =
    canvas instanceof OffscreenCanvas
      ? await canvas.convertToBlob({ type: 'image/jpeg', quality })
      : await new Promise<Blob>((resolve, reject) =>
          canvas.toBlob(
            (b) => (b ? resolve(b) : reject(new Error('JPEG encoding failed'))),
            'image/jpeg',
            quality,
          ),
        );
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A grid of the frames, each labelled with its time, sized for a chat thread. */
class ContactSheet {
  readonly canvas: OffscreenCanvas;
  private readonly context: OffscreenCanvasRenderingContext2D;
  private readonly columns: number;
  private readonly cellWidth = 320;
  private readonly cellHeight: number;
  private readonly gap = 4;

  constructor(count: number, frameWidth: number, frameHeight: number) {
    this.cellHeight = Math.round((this.cellWidth * frameHeight) / Math.max(1, frameWidth));
    this.columns = Math.max(1, Math.min(SHEET_COLUMNS, count));
    const rows = Math.max(1, Math.ceil(count / this.columns));
    this.canvas = new OffscreenCanvas(
      this.columns * (this.cellWidth + this.gap) + this.gap,
      rows * (this.cellHeight + this.gap) + this.gap,
    );
    const context = this.canvas.getContext('2d');
    if (!context) throw new Error('no 2d context for the contact sheet');
    this.context = context;
    context.fillStyle = '#1b1b1b';
    context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    context.font = 'bold 18px "DejaVu Sans", sans-serif';
    context.textBaseline = 'bottom';
  }

  add(index: number, time: number, frame: CanvasImageSource): void {
    const { context, cellWidth, cellHeight, gap } = this;
    const x = gap + (index % this.columns) * (cellWidth + gap);
    const y = gap + Math.floor(index / this.columns) * (cellHeight + gap);
    context.drawImage(frame, x, y, cellWidth, cellHeight);
    const label = formatTime(time);
    const labelWidth = context.measureText(label).width + 12;
    context.fillStyle = 'rgba(0, 0, 0, 0.7)';
    context.fillRect(x, y + cellHeight - 26, labelWidth, 26);
    context.fillStyle = '#ffffff';
    context.fillText(label, x + 6, y + cellHeight - 4);
  }
}

export function formatTime(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return `${minutes}:${rest.toFixed(1).padStart(4, '0')}`;
}
