/**
 * @module Keeps core from decoding audio in the page during a render whose audio ffmpeg mixes.
 *
 * core 4.0.3 gives every clip with an audio track a decoder per renderer, and during a render it decodes and
 * schedules that audio frame by frame even when the Encoder's audio is disabled: about a tenth of the render's
 * main-thread time for a clip with sound. Leans on core internals (`audioDecoders`); core's version is pinned and
 * the render tests cover it.
 */
import * as core from '@diffusionstudio/core';

interface AudioClipInternals {
  audioDecoders: WeakMap<core.Renderer, { reset(): void }>;
}

/** Drops the audio decoders core makes for offline (render) renderers until the returned function is called. */
export function skipPageAudioDecoding(composition: core.Composition): () => void {
  const restores: (() => void)[] = [];
  for (const clip of composition.clips) {
    if (!(clip instanceof core.AudioClip)) continue;
    const internals = clip as unknown as AudioClipInternals;
    const decoders = internals.audioDecoders;
    const originalSet = decoders.set;
    decoders.set = function set(renderer, decoder) {
      if (renderer.audioCtx instanceof OfflineAudioContext) {
        decoder.reset();
        return this;
      }
      return originalSet.call(this, renderer, decoder);
    };
    // Own property removed: WeakMap's method is back.
    restores.push(() => delete (decoders as Partial<typeof decoders>).set);
  }
  return () => {
    for (const restore of restores) restore();
  };
}
