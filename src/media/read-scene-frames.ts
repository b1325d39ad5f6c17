/**
 * @module Decodes a video (all of it, some time ranges, or only its key frames) at thumbnail size with ffmpeg and
 * reads each frame's time and ffmpeg's scene-change score against the frame decoded before it (`scdet`),
 * optionally with the thumbnail's pixels. Several ranges are decoded by one ffmpeg process, each from its own seek.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FfmpegWaitOptions } from './mix-audio.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

/** Thumbnail size: scene scores on it match full-size ones closely, and scaling is cheap next to decoding. */
const THUMB_WIDTH = 64;
const THUMB_HEIGHT = 36;
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
  /** Decode only key frames (cheap: no other frame has to be decoded to reach them). */
  keyframesOnly?: boolean;
  /** Source seconds to decode, each [from, to) from its own seek; unset: the whole stream. */
  ranges?: [number, number][];
  /** Keep each frame's thumbnail pixels. @defaultValue false */
  withPixels?: boolean;
}

/**
 * The frames of each range in decoding order (one list for the whole stream when no ranges are given); the first
 * frame of each list has nothing before it to be compared with.
 * @throws CutroomError ffmpeg_failed when the video cannot be decoded
 */
export async function readSceneFrames(
  filePath: string,
  options: ReadSceneFramesOptions = {},
): Promise<SceneFrame[][]> {
  const passes: ([number, number] | undefined)[] = options.ranges?.length ? options.ranges : [undefined];
  // ffmpeg runs in a directory of its own so the filters can name their output files without escaping.
  const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-scenes-'));
  try {
    const inputs: string[] = [];
    const filters: string[] = [];
    const outputs: string[] = [];
    for (const [i, range] of passes.entries()) {
      // `-skip_frame nokey` keeps the demuxer's timestamps; `-discard nokey` shifts them on streams with B-frames.
      inputs.push(...(options.keyframesOnly ? ['-skip_frame', 'nokey'] : ['-skip_loop_filter', 'all']));
      // -copyts keeps source timestamps after a seek instead of starting again at zero.
      inputs.push('-copyts');
      if (range) inputs.push('-ss', range[0].toFixed(6), '-to', range[1].toFixed(6));
      inputs.push('-i', path.resolve(filePath));
      filters.push(
        `[${i}:v:0]scale=${THUMB_WIDTH}:${THUMB_HEIGHT}:flags=area,format=rgb24,scdet=threshold=100,` +
          `metadata=mode=print:file=scores-${i}.txt[out${i}]`,
      );
      outputs.push('-map', `[out${i}]`, '-fps_mode', 'passthrough');
      outputs.push(...(options.withPixels ? ['-f', 'rawvideo', `pixels-${i}.rgb`] : ['-f', 'null', '-']));
    }
    await runFfmpeg([...inputs, '-filter_complex', filters.join(';'), ...outputs], {
      label: 'read scene changes',
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      cwd: dir,
    });
    return await Promise.all(
      passes.map(async (_, i) => {
        const frames = parseFrameMetadata(
          await readFile(path.join(dir, `scores-${i}.txt`), 'utf8').catch(() => ''),
        );
        if (options.withPixels) {
          const pixels = await readFile(path.join(dir, `pixels-${i}.rgb`));
          for (const [n, frame] of frames.entries()) {
            if ((n + 1) * THUMB_BYTES <= pixels.length)
              frame.pixels = pixels.subarray(n * THUMB_BYTES, (n + 1) * THUMB_BYTES);
          }
        }
        return frames;
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Parses the `metadata=mode=print` lines: a `frame:N pts:P pts_time:T` header, then `key=value` lines. */
function parseFrameMetadata(text: string): SceneFrame[] {
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
