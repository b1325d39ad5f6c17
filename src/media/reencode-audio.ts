/**
 * @module Finishes a render whose audio core's own mixer encoded (Opus: the browser has no AAC encoder): the audio
 * is re-encoded to AAC for chat players, the video stream copied, and the index written first (`+faststart`).
 * Only volume animations take this path; everything else is mixed by ffmpeg beside the render (mix-audio.ts) or
 * copied (audio-copy.ts) and assembled in-process (assemble-mp4.ts).
 */
import { AAC, type FfmpegWaitOptions } from './mix-audio.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface ReencodeAudioOptions extends FfmpegWaitOptions {
  /** The browser's MP4: H.264 with Opus audio. */
  inputPath: string;
  outPath: string;
}

export async function reencodeAudioToAac(options: ReencodeAudioOptions): Promise<void> {
  await runFfmpeg(
    [
      '-y',
      '-i',
      options.inputPath,
      '-map',
      '0:v:0',
      '-map',
      '0:a:0?',
      '-c:v',
      'copy',
      ...AAC,
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      options.outPath,
    ],
    { label: 'finish render', signal: options.signal, timeoutMs: options.timeoutMs },
  );
}
