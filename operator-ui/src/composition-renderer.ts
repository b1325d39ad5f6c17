/**
 * @module Renders the composition with core's Encoder and hands the MP4 to Node as a download (BlobFileTarget).
 *
 * Audio that is only passed through (clips at volume, with fades) is described as segments that Node copies from
 * the source or has ffmpeg mix, and core renders video only: core's audio path busy-waits on a second thread and costs about half of a
 * 2-core machine. Anything the segments cannot express (volume animations) falls back to core's audio path.
 * For the length of a render, the page's VideoEncoder is swapped for a stand-in that keeps pixels in reused memory
 * (see engine.md, "Pixels without a GPU"); video clips decode through SequentialDecoder on every renderer.
 */
import * as core from '@diffusionstudio/core';
import { BlobFileTarget } from './blob-file-target.ts';
import { useCopyingVideoEncoder } from './copying-video-encoder.ts';
import { skipPageAudio } from './page-audio.ts';
import type { AudioSegment, RenderRequest, RenderResponse } from './protocol.ts';
import { isGenuineComposition, type PageAsset } from './workspace.ts';

let activeEncoder: core.Encoder | undefined;

export function cancelActiveRender(): void {
  activeEncoder?.cancel();
}

export async function renderComposition(
  composition: core.Composition,
  request: Omit<RenderRequest, 'licenseKey'>,
  licenseKey?: string,
): Promise<RenderResponse> {
  const base = { width: composition.width, height: composition.height, duration: composition.duration };
  if (composition.duration <= 0 || composition.clips.length === 0) {
    return { ...base, ok: false, error: { name: 'EmptyComposition', message: 'the composition is empty' } };
  }
  const encoder = new core.Encoder(composition, {
    video: { bitrate: request.videoBitrate, fps: request.fps },
    audio: { enabled: request.audio },
  });
  let lastPost = 0;
  encoder.onProgress = (progress) => {
    const now = performance.now();
    if (now - lastPost < 200) return;
    lastPost = now;
    void fetch(request.progressUrl, { method: 'POST', body: JSON.stringify(progress) }).catch(() => {});
  };
  const target = new BlobFileTarget();
  activeEncoder = encoder;
  const restores = [useCopyingVideoEncoder(), request.audio ? () => {} : skipPageAudio(composition)];
  try {
    const result = await withLicenseKey(composition, licenseKey, () =>
      encoder.render(target.writable as unknown as WritableStream),
    );
    if (result.type === 'canceled') return { ...base, ok: false, cancelled: true };
    if (result.type === 'error') {
      return {
        ...base,
        ok: false,
        error: { name: result.error.name, message: result.error.message },
      };
    }
    try {
      await target.deliver(request.fileName, request.savedUrl);
    } catch (error) {
      return { ...base, ok: false, error: { name: 'DeliveryError', message: (error as Error).message } };
    }
    return { ...base, ok: true };
  } finally {
    for (const restore of restores) restore();
    activeEncoder = undefined;
  }
}

/**
 * Hands core the licence key for the one moment it reads it. core's Encoder checks `composition.licenseKey` in the
 * first, synchronous step of `render()`; the key is an own property of the composition only during that call and is
 * removed before any other code (a code action's callback, say) can run. The page's intrinsics and the Encoder are
 * frozen (page-lockdown.ts), so that step runs only code the page shipped. A composition that is not genuine (a proxy,
 * or one made by core's unwrapped class) or that refuses the property renders without the key, with core's watermark.
 */
function withLicenseKey<T>(composition: core.Composition, licenseKey: string | undefined, start: () => T): T {
  if (!licenseKey || !isGenuineComposition(composition)) return start();
  const previous = Reflect.getOwnPropertyDescriptor(composition, 'licenseKey');
  if (previous && (!previous.configurable || !('value' in previous))) return start();
  if (!Reflect.defineProperty(composition, 'licenseKey', { value: licenseKey, configurable: true }))
    return start();
  try {
    return start();
  } finally {
    Reflect.deleteProperty(composition, 'licenseKey');
    if (previous) Reflect.defineProperty(composition, 'licenseKey', previous);
  }
}

interface AudioClipInternals {
  animations: { key: string }[];
}

/** The composition's audio as plain segments, or null when some clip's audio needs core's mixer. */
export function audioSegments(composition: core.Composition, assets: PageAsset[]): AudioSegment[] | null {
  const segments: AudioSegment[] = [];
  for (const layer of composition.layers) {
    if (layer.disabled) continue;
    for (const clip of layer.clips) {
      if (clip.disabled || !(clip instanceof core.AudioClip)) continue;
      const asset = assets.findIndex((a) => a.source === clip.source);
      const hasAudio =
        asset >= 0 ? assets[asset].hasAudio : Boolean((clip.source as core.AudioSource).audioTrack);
      if (!hasAudio || clip.muted) continue;
      if (asset < 0) return null;
      const animatedVolume = (clip as unknown as AudioClipInternals).animations.some(
        (a) => a.key === 'volume' && !(clip.fadeInDurationSeconds > 0 || clip.fadeOutDurationSeconds > 0),
      );
      if (animatedVolume) return null;
      const [from, to] = clip.range;
      const start = Math.max(0, clip.start);
      const end = Math.min(clip.end, composition.duration);
      if (end <= start) continue;
      segments.push({
        asset,
        at: start,
        from: from + (start - clip.start),
        to: Math.min(to, from + (end - clip.start)),
        volume: clip.baseVolume * clip.volume,
        fadeIn: clip.fadeInDurationSeconds,
        fadeOut: clip.fadeOutDurationSeconds,
      });
    }
  }
  return segments;
}
