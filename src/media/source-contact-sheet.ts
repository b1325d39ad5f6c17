/**
 * @module One JPEG grid of frames from a source file, each labelled with its source time, made by ffmpeg: the frame
 * shown at time t is the last frame that starts at or before t, exactly what the engine shows for a clip at t.
 */
import type { FfmpegWaitOptions } from './mix-audio.ts';
import type { VideoPacket } from './read-video-packets.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface SourceContactSheetOptions extends FfmpegWaitOptions {
  /** Source seconds to show, ascending. */
  times: number[];
  /** The stream's frames (readVideoPackets), to find the frame shown at each time. */
  packets: VideoPacket[];
  /** Each cell fits in a square this many pixels wide. @defaultValue 384 */
  cellPixels?: number;
  /** @defaultValue 5 */
  columns?: number;
}

/** Frame spacings to pick from, so labels read as round times. */
const STEPS = [1, 2, 3, 4, 5, 6, 10, 15, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600];
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

/** Times from `from` to `to`, at least 1 s apart (a round step) and at most `maxFrames` of them. */
export function sheetTimes(from: number, to: number, maxFrames = 30): number[] {
  const span = Math.max(0, to - from);
  const step = STEPS.find((s) => Math.floor(span / s + 1e-9) + 1 <= maxFrames) ?? span / (maxFrames - 1);
  const count = Math.min(maxFrames, Math.floor(span / step + 1e-9) + 1);
  return Array.from({ length: count }, (_, k) => Math.round((from + k * step) * 100) / 100);
}

/** @throws CutroomError ffmpeg_failed when a frame cannot be decoded */
export async function sourceContactSheet(
  filePath: string,
  options: SourceContactSheetOptions,
): Promise<Buffer> {
  const { times, packets } = options;
  if (times.length === 0) throw new TypeError('sourceContactSheet: no times given');
  const cell = options.cellPixels ?? 384;
  const columns = Math.min(options.columns ?? 5, times.length);
  const rows = Math.ceil(times.length / columns);
  const inputs: string[] = [];
  const filters: string[] = [];
  for (const [i, time] of times.entries()) {
    // A hair before the frame's own start, so ffmpeg's accurate seek keeps that frame and not the next.
    const seek = Math.max(0, frameShownAt(packets, time) - 0.001);
    inputs.push('-ss', seek.toFixed(6), '-i', filePath);
    filters.push(
      `[${i}:v:0]trim=end_frame=1,setpts=PTS-STARTPTS,` +
        `scale=${cell}:${cell}:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1,` +
        `drawtext=fontfile=${FONT}:text='${label(time)}':x=6:y=h-th-8:fontsize=${Math.round(cell / 16)}:` +
        `fontcolor=white:box=1:boxcolor=black@0.65:boxborderw=5[f${i}]`,
    );
  }
  const cells = times.map((_, i) => `[f${i}]`).join('');
  filters.push(
    `${cells}concat=n=${times.length}:v=1:a=0,tile=${columns}x${rows}:padding=4:margin=4:color=0x1b1b1b`,
  );
  const chunks: Buffer[] = [];
  await runFfmpeg(
    [
      ...inputs,
      '-filter_complex',
      filters.join(';'),
      '-frames:v',
      '1',
      '-q:v',
      '4',
      '-f',
      'image2pipe',
      '-c:v',
      'mjpeg',
      '-',
    ],
    {
      label: 'source contact sheet',
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? 120_000,
      onStdout: (chunk) => chunks.push(chunk),
    },
  );
  return Buffer.concat(chunks);
}

/** The start time of the frame on screen at `time`: the last one starting at or before it (else the first). */
export function frameShownAt(packets: VideoPacket[], time: number): number {
  if (packets.length === 0) return time;
  let lo = 0;
  let hi = packets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (packets[mid].time <= time + 1e-9) lo = mid;
    else hi = mid - 1;
  }
  return packets[lo].time;
}

/** `7.4s`, `12s`, `61.25s`: drawtext reads `:` and `\\` specially, so none appear. */
function label(seconds: number): string {
  return `${Number(seconds.toFixed(2))}s`;
}
