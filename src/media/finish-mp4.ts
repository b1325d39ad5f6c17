/**
 * @module Finishes a browser render for chat players: AAC audio (the browser has no AAC encoder) and `+faststart`
 * so it plays inline before it has fully downloaded; the video stream is copied, never re-encoded.
 */
import { runFfmpeg } from './run-ffmpeg.ts';

/** One timed piece of a source's audio on the output timeline (see operator-ui's AudioSegment). */
export interface AudioSegmentInput {
  /** The file the audio comes from. */
  path: string;
  /** Seconds on the output timeline. */
  at: number;
  /** Seconds into the source. */
  from: number;
  to: number;
  volume: number;
  fadeIn: number;
  fadeOut: number;
}

export interface FinishMp4Options {
  /** The browser's MP4 (H.264, maybe with Opus audio). */
  inputPath: string;
  outPath: string;
  durationSeconds: number;
  /** `copy`: remux the render's own audio track to AAC; `segments`: mix these sources; `none`: no audio. */
  audio: { mode: 'copy' } | { mode: 'segments'; segments: AudioSegmentInput[] } | { mode: 'none' };
  /** @defaultValue 160000 */
  audioBitrate?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export async function finishMp4(options: FinishMp4Options): Promise<void> {
  const bitrate = String(options.audioBitrate ?? 160_000);
  const aac = ['-c:a', 'aac', '-b:a', bitrate, '-ar', '48000', '-ac', '2'];
  const tail = ['-movflags', '+faststart', '-f', 'mp4', options.outPath];
  let args: string[];
  const audio =
    options.audio.mode === 'segments' && options.audio.segments.length === 0
      ? { mode: 'none' as const }
      : options.audio;
  if (audio.mode === 'none') {
    args = ['-y', '-i', options.inputPath, '-map', '0:v:0', '-c:v', 'copy', '-an', ...tail];
  } else if (audio.mode === 'copy') {
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
      ...aac,
      ...tail,
    ];
  } else {
    const inputs = [...new Set(audio.segments.map((s) => s.path))];
    const filters = audio.segments.map((s, i) => segmentFilter(s, 1 + inputs.indexOf(s.path), i));
    const labels = audio.segments.map((_, i) => `[a${i}]`).join('');
    const duration = options.durationSeconds.toFixed(6);
    const mix =
      audio.segments.length === 1
        ? `${labels}apad,atrim=end=${duration}[aout]`
        : `${labels}amix=inputs=${audio.segments.length}:normalize=0:duration=longest,apad,atrim=end=${duration}[aout]`;
    args = [
      '-y',
      '-i',
      options.inputPath,
      ...inputs.flatMap((p) => ['-i', p]),
      '-filter_complex',
      [...filters, mix].join(';'),
      '-map',
      '0:v:0',
      '-map',
      '[aout]',
      '-c:v',
      'copy',
      ...aac,
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
