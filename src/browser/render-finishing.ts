/**
 * @module Turns the page's video-only render into the final MP4: the sound copied from the source or mixed by ffmpeg
 * while the page encodes, then assembled; or, when only core's mixer can do the sound, core's audio re-encoded to AAC.
 */
import { rm } from 'node:fs/promises';
import type { AudioSegment } from '../../operator-ui/src/protocol.ts';
import { assembleMp4 } from '../media/assemble-mp4.ts';
import { copyableAudio } from '../media/audio-copy.ts';
import { inspectRender } from '../media/inspect-render.ts';
import { mixAudio } from '../media/mix-audio.ts';
import { reencodeAudioToAac } from '../media/reencode-audio.ts';
import type { RenderOptions, RenderResult } from './types.ts';

export interface FinishRenderOptions extends RenderOptions {
  /** The page's audio plan: null when only core's own mixer can do this audio (a volume animation). */
  segments: AudioSegment[] | null;
  /** Where each loaded asset's bytes are on disk, by asset index. */
  assetPaths: string[];
  durationSeconds: number;
  /** Prefix for this render's intermediate files (`<stem>.video.mp4`, `<stem>.audio.m4a`), deleted at the end. */
  stem: string;
  timeoutMs: number;
  /** Encodes the video in the page into `rawPath`, with core's audio when `withAudio`. */
  renderVideo(rawPath: string, withAudio: boolean): Promise<void>;
}

/** Runs the page's video render and the sound beside it, then writes `outPath`. */
export async function finishRender(options: FinishRenderOptions): Promise<Omit<RenderResult, 'elapsedMs'>> {
  const started = performance.now();
  const { segments, timeoutMs } = options;
  const rawPath = `${options.stem}.video.mp4`;
  const audioPath = `${options.stem}.audio.m4a`;
  const coreMixesAudio = segments === null;
  const sources = (segments ?? []).map((s) => ({ ...s, path: options.assetPaths[s.asset] }));
  // Sound that is only passed through is copied; any other needs no browser either: ffmpeg mixes it while the
  // page encodes the video.
  const copied = await copyableAudio(sources);
  const mixer = new AbortController();
  const stopMixer = () => mixer.abort();
  options.signal?.addEventListener('abort', stopMixer, { once: true });
  const mixing =
    sources.length > 0 && !copied
      ? mixAudio({
          segments: sources,
          durationSeconds: options.durationSeconds,
          outPath: audioPath,
          signal: mixer.signal,
          timeoutMs,
        })
      : Promise.resolve();
  mixing.catch(() => {});
  try {
    await options.renderVideo(rawPath, coreMixesAudio);
    await mixing;
    options.onProgress?.({ percent: 99, stage: 'finishing' });
    if (coreMixesAudio) {
      await reencodeAudioToAac({
        inputPath: rawPath,
        outPath: options.outPath,
        signal: options.signal,
        timeoutMs: Math.max(10_000, timeoutMs - (performance.now() - started)),
      });
    } else {
      const mixed =
        sources.length > 0 ? { path: audioPath, from: 0, to: Number.POSITIVE_INFINITY } : undefined;
      await assembleMp4({
        videoPath: rawPath,
        audio: copied ?? mixed,
        outPath: options.outPath,
        signal: options.signal,
      });
    }
    const file = await inspectRender(options.outPath);
    options.onProgress?.({ percent: 100, stage: 'finishing' });
    return { path: options.outPath, ...file };
  } finally {
    mixer.abort();
    options.signal?.removeEventListener('abort', stopMixer);
    await mixing.catch(() => {});
    await rm(rawPath, { force: true });
    await rm(audioPath, { force: true });
  }
}
