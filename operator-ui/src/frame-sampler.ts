/**
 * @module Frame-exact sampling: one sorted decoding pass over just the needed source frames, composited through
 * core's own layer update/render on a private renderer.
 *
 * `composition.seek()` + `screenshot()` returns stale frames, and a private renderer with core's own clip decoder
 * decodes every frame in between. Instead each video clip gets a stand-in decoder on the private renderer that
 * serves frames decoded ahead of time by mediabunny's `samplesAtTimestamps`. This leans on core 4.0.3 internals
 * (`VideoClip.videoDecoders`, layer `update`/`render`), which is why core's version is pinned and tested.
 */
import * as core from '@diffusionstudio/core';
import { ALL_FORMATS, BlobSource, Input, UrlSource, VideoSampleSink } from 'mediabunny';
import { FramePixels } from './frame-pixels.ts';
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

  const clips = composition.clips;
  const standIns = new Map<core.Clip, { decoder: StandInDecoder; frames: Map<number, Drawable | null> }>();
  const initialised: core.Clip[] = [];
  const inputs: Input[] = [];
  const pixels = new FramePixels();
  composition.renderer.stop();
  try {
    for (const clip of clips) {
      if (clip instanceof core.VideoClip) {
        const frames = await decodeClipFrames(clip, times, inputs, pixels);
        const decoder = makeStandIn();
        (clip as unknown as VideoClipInternals).videoDecoders.set(renderer, decoder);
        standIns.set(clip, { decoder, frames });
      } else if (clip.type !== 'AUDIO') {
        await clip.initRenderer(renderer);
        initialised.push(clip);
      }
    }

    const frames: SampleResponse['frames'] = [];
    const sheet = new ContactSheet(times.length, renderer.canvas.width, renderer.canvas.height);
    for (const time of times) {
      for (const { decoder, frames: clipFrames } of standIns.values())
        decoder.current = clipFrames.get(time) ?? null;
      renderer.playbackOffset = time;
      const layers = composition.layers;
      for (let i = layers.length - 1; i >= 0; i--) await layers[i].update(renderer);
      renderer.clear();
      for (let i = layers.length - 1; i >= 0; i--) layers[i].render(renderer);
      // Canvas-to-canvas draws are cheap here; pixel readbacks are not: the sheet takes the frame directly.
      sheet.add(frames.length, time, renderer.canvas);
      frames.push({ time, jpegBase64: await toJpegBase64(renderer.canvas, request.quality) });
    }
    const sheetBase64 = await toJpegBase64(sheet.canvas, request.quality);
    return { frames, sheetBase64, width: renderer.canvas.width, height: renderer.canvas.height };
  } finally {
    for (const clip of initialised) await clip.deinitRenderer(renderer).catch(() => {});
    for (const clip of standIns.keys())
      (clip as unknown as VideoClipInternals).videoDecoders.delete(renderer);
    for (const input of inputs) input.dispose();
    composition.renderer.start();
    await composition.seek(composition.currentTime);
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

/** Decodes, in one sorted pass, the source frame each sample time shows for this clip. */
async function decodeClipFrames(
  clip: core.VideoClip,
  times: number[],
  inputs: Input[],
  pixels: FramePixels,
): Promise<Map<number, Drawable | null>> {
  const result = new Map<number, Drawable | null>();
  const wanted: { time: number; sourceTime: number }[] = [];
  const transitionTail = clip.transition ? core.parseTime(clip.transition.duration) : 0;
  for (const time of times) {
    if (time < clip.start || time > clip.end + transitionTail) continue;
    wanted.push({ time, sourceTime: time - clip.delay });
  }
  if (wanted.length === 0) return result;

  const sourceInput = clip.source.input;
  const input = new Input({
    source:
      typeof sourceInput === 'string' ? new UrlSource(sourceInput) : new BlobSource(sourceInput as Blob),
    formats: ALL_FORMATS,
  });
  inputs.push(input);
  const track = await input.getPrimaryVideoTrack();
  if (!track) throw new Error(`clip "${clip.source.name}" has no video track`);
  const sink = new VideoSampleSink(track);
  const firstTimestamp = await track.getFirstTimestamp();
  const timestamps = wanted.map((w) => Math.max(firstTimestamp, w.sourceTime));
  let index = 0;
  // Neighbouring sample times often land on the same source frame: paint it once.
  let previous: { sample: object; canvas: OffscreenCanvas } | undefined;
  for await (const sample of sink.samplesAtTimestamps(timestamps)) {
    let canvas: OffscreenCanvas | null = null;
    if (sample) {
      if (previous?.sample === sample) {
        canvas = previous.canvas;
      } else {
        const frame = sample.toVideoFrame();
        try {
          canvas = await pixels.paint(frame);
        } finally {
          frame.close();
        }
        previous = { sample, canvas };
      }
    }
    result.set(wanted[index].time, canvas);
    index++;
  }
  return result;
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
