/**
 * @module Decodes a video (all of it, a time range, or only its key frames) at thumbnail size with ffmpeg and reads
 * each frame's time and ffmpeg's scene-change score against the frame decoded before it (`scdet`), optionally with
 * the thumbnail's pixels.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FfmpegWaitOptions } from './mix-audio.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

/** Thumbnail size: scene scores on it match full-size ones closely, and scaling is cheap next to decoding. */
export const THUMB_WIDTH = 64;
export const THUMB_HEIGHT = 36;
const THUMB_BYTES = THUMB_WIDTH * THUMB_HEIGHT * 3;

export interface SceneFrame {
  /** Presentation time in source seconds (as ffmpeg prints it: about six significant digits). */
  time: number;
  /** Mean absolute difference to the previously decoded frame, 0–100. */
  mafd: number;
  /** ffmpeg's scene-change score, 0–100: the difference, less what steady motion explains. */
  score: number;
  /** RGB24 thumbnail, THUMB_WIDTH × THUMB_HEIGHT, when asked for. */
  pixels?: Uint8Array;
}

export interface ReadSceneFramesOptions extends FfmpegWaitOptions {
  /** Decode only key frames (cheap: no frame depends on them being late). */
  keyframesOnly?: boolean;
  /** Source seconds to decode, end exclusive; unset: the whole stream. */
  range?: [number, number];
  /** Keep each frame's thumbnail pixels. @defaultValue false */
  withPixels?: boolean;
}

/** @throws CutroomError ffmpeg_failed when the video cannot be decoded */
export async function readSceneFrames(
  filePath: string,
  options: ReadSceneFramesOptions = {},
): Promise<SceneFrame[]> {
  // `-skip_frame nokey` keeps the demuxer's timestamps right; `-discard nokey` shifts them on streams with B-frames.
  const input = options.keyframesOnly ? ['-skip_frame', 'nokey'] : ['-skip_loop_filter', 'all'];
  // -copyts keeps source timestamps after a seek instead of starting again at zero.
  input.push('-copyts');
  if (options.range) {
    input.push('-ss', options.range[0].toFixed(6), '-to', options.range[1].toFixed(6));
  }
  const dir = options.withPixels ? await mkdtemp(path.join(tmpdir(), 'cutroom-scenes-')) : undefined;
  const pixelsPath = dir ? path.join(dir, 'frames.rgb') : undefined;
  const chunks: Buffer[] = [];
  try {
    await runFfmpeg(
      [
        ...input,
        '-i',
        filePath,
        '-map',
        '0:v:0',
        '-vf',
        `scale=${THUMB_WIDTH}:${THUMB_HEIGHT}:flags=area,format=rgb24,scdet=threshold=100,metadata=mode=print:file=-`,
        '-fps_mode',
        'passthrough',
        ...(pixelsPath ? ['-f', 'rawvideo', '-y', pixelsPath] : ['-f', 'null', '-']),
      ],
      {
        label: 'read scene changes',
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        onStdout: (chunk) => chunks.push(chunk),
      },
    );
    const frames = parseFrameMetadata(Buffer.concat(chunks).toString('utf8'));
    if (pixelsPath) {
      const pixels = await readFile(pixelsPath);
      for (const [i, frame] of frames.entries()) {
        if ((i + 1) * THUMB_BYTES <= pixels.length)
          frame.pixels = pixels.subarray(i * THUMB_BYTES, (i + 1) * THUMB_BYTES);
      }
    }
    return frames;
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** Parses the `metadata=mode=print` lines: a `frame:N pts:P pts_time:T` header, then `key=value` lines. */
export function parseFrameMetadata(text: string): SceneFrame[] {
  const frames: SceneFrame[] = [];
  let current: SceneFrame | undefined;
  for (const line of text.split('\n')) {
    const header = /pts_time:(\S+)/.exec(line);
    if (line.startsWith('frame:') && header) {
      current = { time: Number(header[1]), mafd: 0, score: 0 };
      frames.push(current);
    } else if (current) {
      const [key, value] = line.trim().split('=');
      if (key === 'lavfi.scd.mafd') current.mafd = Number(value) || 0;
      else if (key === 'lavfi.scd.score') current.score = Number(value) || 0;
    }
  }
  return frames;
}
