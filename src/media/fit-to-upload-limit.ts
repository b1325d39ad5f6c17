/** @module Re-encodes a render so it fits a platform's upload limit, or refuses when it cannot stay watchable. */
import { stat } from 'node:fs/promises';
import { CutroomError, ErrorCode } from '../errors.ts';
import { probeMedia } from './probe-media.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface FitToUploadLimitOptions {
  inputPath: string;
  /** Where the re-encoded MP4 goes when one is needed. */
  outputPath: string;
  limitBytes: number;
  /** Seconds; probed from the file when omitted. */
  durationSeconds?: number;
  /** Below this video bitrate (at 360p or less) the result is not worth watching. @defaultValue 150 */
  minVideoKbps?: number;
  /** Share of the limit the encoder aims for, leaving room for container overhead and rate overshoot. @defaultValue 0.95 */
  headroom?: number;
  /** @defaultValue 300000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface FitToUploadLimitResult {
  /** The file to upload: the input when it already fits, else `outputPath`. */
  path: string;
  size: number;
  reencoded: boolean;
  /** Size of the input in bytes. */
  originalSize: number;
  videoKbps?: number;
  height?: number;
}

// Resolution steps by available video bitrate: libx264 below these rates turns blocky at the larger size.
const LADDER: { minKbps: number; height: number }[] = [
  { minKbps: 2500, height: 1080 },
  { minKbps: 1200, height: 720 },
  { minKbps: 600, height: 480 },
  { minKbps: 0, height: 360 },
];

export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb >= 10 ? Math.round(mb) : mb.toFixed(1)} MB`;
}

/** Chooses audio and video bitrates and an output height for a byte budget. */
export function planFit(options: {
  limitBytes: number;
  durationSeconds: number;
  sourceHeight: number;
  hasAudio: boolean;
  minVideoKbps?: number;
  headroom?: number;
}): { videoKbps: number; audioKbps: number; height: number } | undefined {
  const totalKbps = (options.limitBytes * 8 * (options.headroom ?? 0.95)) / options.durationSeconds / 1000;
  const audioKbps = !options.hasAudio ? 0 : totalKbps >= 1000 ? 128 : totalKbps >= 400 ? 96 : 64;
  const videoKbps = Math.floor(totalKbps - audioKbps);
  if (videoKbps < (options.minVideoKbps ?? 150)) return undefined;
  const step = LADDER.find((s) => videoKbps >= s.minKbps)!;
  const height = Math.min(step.height, options.sourceHeight || step.height);
  return { videoKbps, audioKbps, height: height - (height % 2) };
}

function tooLarge(size: number, limitBytes: number, durationSeconds: number): CutroomError {
  return new CutroomError(
    ErrorCode.UploadTooLarge,
    `fit: ${size} bytes over ${limitBytes} and ${durationSeconds.toFixed(1)} s leaves too little bitrate to stay watchable`,
    {
      userMessage: `The video is ${megabytes(size)}, over this server's ${megabytes(limitBytes)} upload limit, and at ${Math.round(durationSeconds)} s it cannot be shrunk enough without becoming unwatchable. Ask for a shorter cut, or a server with a higher upload limit.`,
    },
  );
}

/**
 * Returns the input when it fits the limit; else re-encodes it with libx264 at a bitrate computed from
 * the duration (lowering the resolution for low bitrates) and checks the result's size.
 * @throws CutroomError upload_too_large when the bitrate would fall below `minVideoKbps` or the output still does not fit.
 */
export async function fitToUploadLimit(options: FitToUploadLimitOptions): Promise<FitToUploadLimitResult> {
  const originalSize = (await stat(options.inputPath)).size;
  if (originalSize <= options.limitBytes) {
    return { path: options.inputPath, size: originalSize, reencoded: false, originalSize };
  }
  const info = await probeMedia(options.inputPath, { signal: options.signal, displayName: 'the render' });
  const durationSeconds = options.durationSeconds ?? info.duration;
  const timeoutMs = options.timeoutMs ?? 300_000;
  // Single-pass ABR overshoots now and then; a second try aims lower before giving up.
  for (const headroom of [options.headroom ?? 0.95, (options.headroom ?? 0.95) * 0.8]) {
    const plan = planFit({
      limitBytes: options.limitBytes,
      durationSeconds,
      sourceHeight: info.height,
      hasAudio: info.hasAudio,
      minVideoKbps: options.minVideoKbps,
      headroom,
    });
    if (!plan) throw tooLarge(originalSize, options.limitBytes, durationSeconds);
    const scale = plan.height < info.height ? ['-vf', `scale=-2:${plan.height}`] : [];
    await runFfmpeg(
      [
        '-y',
        '-i',
        options.inputPath,
        '-map',
        '0:v:0',
        ...(info.hasAudio ? ['-map', '0:a:0'] : []),
        ...scale,
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-pix_fmt',
        'yuv420p',
        '-b:v',
        `${plan.videoKbps}k`,
        '-maxrate',
        `${plan.videoKbps}k`,
        '-bufsize',
        `${plan.videoKbps}k`,
        ...(info.hasAudio ? ['-c:a', 'aac', '-b:a', `${plan.audioKbps}k`] : ['-an']),
        '-movflags',
        '+faststart',
        options.outputPath,
      ],
      { timeoutMs, signal: options.signal, label: 'fit to upload limit' },
    );
    const size = (await stat(options.outputPath)).size;
    if (size <= options.limitBytes) {
      return {
        path: options.outputPath,
        size,
        reencoded: true,
        originalSize,
        videoKbps: plan.videoKbps,
        height: Math.min(plan.height, info.height),
      };
    }
  }
  throw tooLarge(originalSize, options.limitBytes, durationSeconds);
}
