/**
 * @module Finishes a browser render for chat players: AAC audio (the browser has no AAC encoder) and `+faststart`
 * so it plays inline before it has fully downloaded; the video stream is copied, never re-encoded.
 */
import type { AudioSegment } from '../../operator-ui/src/protocol.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

/** One timed piece of a source's audio on the output timeline: the page's AudioSegment, with its file. */
export type AudioSegmentInput = Omit<AudioSegment, 'asset'> & {
  /** The file the audio comes from. */
  path: string;
};

interface FfmpegWaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

const AUDIO_BITRATE = '160000';
const AAC = ['-c:a', 'aac', '-b:a', AUDIO_BITRATE, '-ar', '48000', '-ac', '2'];

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

export interface FinishMp4Options extends FfmpegWaitOptions {
  /** The browser's MP4 (H.264, maybe with Opus audio). */
  inputPath: string;
  outPath: string;
  /**
   * `remux`: the render carries its own audio track (Opus from core's mixer): re-encode it to AAC.
   * `file`: take the audio from an AAC file made by `mixAudio`. `none`: video only.
   */
  audio: { mode: 'remux' } | { mode: 'file'; path: string } | { mode: 'none' };
}

export async function finishMp4(options: FinishMp4Options): Promise<void> {
  const tail = ['-movflags', '+faststart', '-f', 'mp4', options.outPath];
  const { audio } = options;
  let args: string[];
  if (audio.mode === 'none') {
    args = ['-y', '-i', options.inputPath, '-map', '0:v:0', '-c:v', 'copy', '-an', ...tail];
  } else if (audio.mode === 'remux') {
    args = [
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
      ...tail,
    ];
  } else {
    args = [
      '-y',
      '-i',
      options.inputPath,
      '-i',
      audio.path,
      '-map',
      '0:v:0',
      '-map',
      '1:a:0',
      '-c',
      'copy',
      ...tail,
    ];
  }
  await runFfmpeg(args, { label: 'finish render', signal: options.signal, timeoutMs: options.timeoutMs });
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
