/**
 * @module Mixes a render's audio with ffmpeg into one AAC track (the browser has no AAC encoder): the clips' sound
 * trimmed, delayed, at their volume and with their fades. It needs no video, so it runs while the browser renders.
 */
import type { AudioSegment } from '../../operator-ui/src/protocol.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

/** One timed piece of a source's audio on the output timeline: the page's AudioSegment, with its file. */
export type AudioSegmentInput = Omit<AudioSegment, 'asset'> & {
  /** The file the audio comes from. */
  path: string;
};

export interface FfmpegWaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

const AUDIO_BITRATE = '160000';
/** ffmpeg output options for the AAC that chat players expect. */
export const AAC = ['-c:a', 'aac', '-b:a', AUDIO_BITRATE, '-ar', '48000', '-ac', '2'];

export interface MixAudioOptions extends FfmpegWaitOptions {
  segments: AudioSegmentInput[];
  durationSeconds: number;
  /** An `.m4a` file to write. */
  outPath: string;
}

/**
 * Mixes the segments into one AAC track exactly `durationSeconds` long. It needs no video, so it runs while the
 * browser is still rendering.
 */
export async function mixAudio(options: MixAudioOptions): Promise<void> {
  const { segments } = options;
  // One input per segment, even for the same file: feeding one decoded stream into two trims that amix
  // consumes at different times makes ffmpeg wait forever for the branch that is not being read.
  const filters = segments.map((s, i) => segmentFilter(s, i, i));
  const labels = segments.map((_, i) => `[a${i}]`).join('');
  const duration = options.durationSeconds.toFixed(6);
  const mix =
    segments.length === 1
      ? `${labels}apad,atrim=end=${duration}[aout]`
      : `${labels}amix=inputs=${segments.length}:normalize=0:duration=longest,apad,atrim=end=${duration}[aout]`;
  await runFfmpeg(
    [
      '-y',
      ...segments.flatMap((s) => ['-i', s.path]),
      '-filter_complex',
      [...filters, mix].join(';'),
      '-map',
      '[aout]',
      '-vn',
      ...AAC,
      '-f',
      'mp4',
      options.outPath,
    ],
    { label: 'mix audio', signal: options.signal, timeoutMs: options.timeoutMs },
  );
}

function segmentFilter(s: AudioSegmentInput, input: number, index: number): string {
  const length = Math.max(0, s.to - s.from);
  const parts = [
    `atrim=start=${s.from.toFixed(6)}:end=${s.to.toFixed(6)}`,
    'asetpts=PTS-STARTPTS',
    'aresample=48000',
    'aformat=sample_fmts=fltp:channel_layouts=stereo',
  ];
  if (s.volume !== 1) parts.push(`volume=${s.volume.toFixed(4)}`);
  if (s.fadeIn > 0) parts.push(`afade=t=in:st=0:d=${s.fadeIn.toFixed(4)}`);
  if (s.fadeOut > 0)
    parts.push(`afade=t=out:st=${Math.max(0, length - s.fadeOut).toFixed(4)}:d=${s.fadeOut.toFixed(4)}`);
  const delayMs = Math.round(s.at * 1000);
  if (delayMs > 0) parts.push(`adelay=${delayMs}:all=1`);
  return `[${input}:a:0]${parts.join(',')}[a${index}]`;
}
