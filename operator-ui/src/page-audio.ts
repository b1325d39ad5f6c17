/**
 * @module Keeps core from doing audio work in the page during a render whose audio ffmpeg mixes or copies.
 *
 * core 4.0.3 gives every clip with an audio track a decoder per renderer, and during a render it decodes and
 * schedules that audio frame by frame even when the Encoder's audio is disabled: about a tenth of the render's
 * main-thread time for a clip with sound. It also loads its audio worklet (40–65 ms on the reference machine)
 * and wires it up whether or not audio is rendered. Leans on core internals (`audioDecoders`, the worklet's
 * processor name `sink`); core's version is pinned and the render tests cover it.
 */
import * as core from '@diffusionstudio/core';

interface AudioClipInternals {
  audioDecoders: WeakMap<core.Renderer, { reset(): void }>;
}

/** Skips the page's audio work for one render until the returned function is called. */
export function skipPageAudio(composition: core.Composition): () => void {
  const restores = [skipAudioDecoding(composition), skipAudioWorklet()];
  return () => {
    for (const restore of restores) restore();
  };
}

/** Drops the audio decoders core makes for offline (render) renderers. */
function skipAudioDecoding(composition: core.Composition): () => void {
  const restores: (() => void)[] = [];
  for (const clip of composition.clips) {
    if (!(clip instanceof core.AudioClip)) continue;
    const internals = clip as unknown as AudioClipInternals;
    const decoders = internals.audioDecoders;
    const originalSet = decoders.set;
    // Defined, not assigned: the page's frozen intrinsics (page-lockdown.ts) make WeakMap's `set` read-only.
    Object.defineProperty(decoders, 'set', {
      configurable: true,
      value: function set(this: typeof decoders, renderer: core.Renderer, decoder: { reset(): void }) {
        if (renderer.audioCtx instanceof OfflineAudioContext) {
          decoder.reset();
          return this;
        }
        return originalSet.call(this, renderer, decoder);
      },
    });
    // Own property removed: WeakMap's method is back.
    restores.push(() => delete (decoders as Partial<typeof decoders>).set);
  }
  return () => {
    for (const restore of restores) restore();
  };
}

/** Stands a silent node in for the Encoder's worklet: with its audio off, nothing flows through it. */
function skipAudioWorklet(): () => void {
  const worklet = AudioWorklet.prototype;
  const addModule = worklet.addModule;
  const RealNode = globalThis.AudioWorkletNode;
  // core loads its processor from a blob: URL it has just made; a render runs alone, so nothing else does now.
  worklet.addModule = function add(this: AudioWorklet, url: string | URL, options?: WorkletOptions) {
    return String(url).startsWith('blob:') ? Promise.resolve() : addModule.call(this, url, options);
  };
  globalThis.AudioWorkletNode = function AudioWorkletNode(
    context: BaseAudioContext,
    name: string,
    options?: AudioWorkletNodeOptions,
  ) {
    if (name !== 'sink' || !(context instanceof OfflineAudioContext))
      return new RealNode(context, name, options);
    return Object.assign(context.createGain(), { port: new MessageChannel().port1 });
  } as unknown as typeof AudioWorkletNode;
  return () => {
    worklet.addModule = addModule;
    globalThis.AudioWorkletNode = RealNode;
  };
}
