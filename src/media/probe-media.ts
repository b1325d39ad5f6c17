/** @module Reads what a media file really is with ffprobe, whatever its name or declared type says. */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { z } from 'zod';
import { CutroomError, ErrorCode } from '../errors.ts';

const execFileAsync = promisify(execFile);

export interface MediaInfo {
  kind: 'video' | 'audio' | 'image';
  /** Seconds; 0 for images. */
  duration: number;
  width: number;
  height: number;
  hasAudio: boolean;
  /** ffprobe's container name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  formatName: string;
  /** The MIME type the content really has, whatever the file was called or declared as. */
  mimeType: string;
  videoCodec?: string;
  audioCodec?: string;
  size: number;
}

const FfprobeOutput = z.object({
  streams: z
    .array(
      z.object({
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        duration: z.string().optional(),
        nb_frames: z.string().optional(),
        disposition: z.object({ attached_pic: z.number().optional() }).partial().optional(),
      }),
    )
    .default([]),
  format: z
    .object({ format_name: z.string().optional(), duration: z.string().optional() })
    .partial()
    .default({}),
});

const IMAGE_FORMATS = new Set(['png_pipe', 'jpeg_pipe', 'webp_pipe', 'gif', 'image2', 'bmp_pipe']);

export interface ProbeMediaOptions {
  signal?: AbortSignal;
  /** @defaultValue 20000 */
  timeoutMs?: number;
  /** Name to use in messages instead of the path (the user's file name). */
  displayName?: string;
}

/**
 * Probes a file with ffprobe and classifies it.
 * @throws CutroomError asset_missing, asset_empty, asset_corrupt or asset_unsupported, each with a user message naming the file.
 */
export async function probeMedia(filePath: string, options: ProbeMediaOptions = {}): Promise<MediaInfo> {
  const name = options.displayName ?? filePath;
  const info = await stat(filePath).catch(() => undefined);
  if (!info?.isFile()) {
    throw new CutroomError(ErrorCode.AssetMissing, `probe: no such file ${filePath}`, {
      userMessage: `I could not find the file "${name}".`,
    });
  }
  if (info.size === 0) {
    throw new CutroomError(ErrorCode.AssetEmpty, `probe: ${filePath} is empty (0 bytes)`, {
      userMessage: `"${name}" is empty (0 bytes). Please upload the clip again.`,
    });
  }
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(
      'ffprobe',
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', filePath],
      { signal: options.signal, timeout: options.timeoutMs ?? 20_000, maxBuffer: 16 * 1024 * 1024 },
    ));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CutroomError(
        ErrorCode.ToolMissing,
        'probe: ffprobe is not installed (apt-get install ffmpeg)',
        {
          cause: error,
        },
      );
    }
    if ((error as Error).name === 'AbortError') throw error;
    throw corrupt(filePath, name, error);
  }
  const parsed = FfprobeOutput.safeParse(JSON.parse(stdout || '{}'));
  if (!parsed.success) throw corrupt(filePath, name, parsed.error);
  const { streams, format } = parsed.data;
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = streams.find((s) => s.codec_type === 'audio');
  const formatName = format.format_name ?? 'unknown';
  const duration = Number(format.duration ?? video?.duration ?? audio?.duration ?? 0) || 0;

  if (video && (IMAGE_FORMATS.has(formatName) || (duration === 0 && !audio))) {
    return {
      kind: 'image',
      duration: 0,
      width: video.width ?? 0,
      height: video.height ?? 0,
      hasAudio: false,
      formatName,
      mimeType: mimeTypeOf(formatName, 'image'),
      videoCodec: video.codec_name,
      size: info.size,
    };
  }
  if (video) {
    if (!video.width || !video.height || duration <= 0)
      throw corrupt(filePath, name, 'no decodable video frames');
    await decodeTail(filePath, name, 'v', options);
    return {
      kind: 'video',
      duration,
      width: video.width,
      height: video.height,
      hasAudio: Boolean(audio),
      formatName,
      mimeType: mimeTypeOf(formatName, 'video'),
      videoCodec: video.codec_name,
      audioCodec: audio?.codec_name,
      size: info.size,
    };
  }
  if (audio) {
    if (duration <= 0) throw corrupt(filePath, name, 'no decodable audio');
    await decodeTail(filePath, name, 'a', options);
    return {
      kind: 'audio',
      duration,
      width: 0,
      height: 0,
      hasAudio: true,
      formatName,
      mimeType: mimeTypeOf(formatName, 'audio'),
      audioCodec: audio.codec_name,
      size: info.size,
    };
  }
  throw new CutroomError(
    ErrorCode.AssetUnsupported,
    `probe: ${filePath} (${formatName}) has no audio or video stream`,
    {
      userMessage: `"${name}" is not a video, audio or image file I can use.`,
    },
  );
}

const FORMAT_MIME: [RegExp, string, string][] = [
  // [ffprobe format name, MIME for video, MIME for audio]
  [/mp4|mov/, 'video/mp4', 'audio/mp4'],
  [/webm|matroska/, 'video/webm', 'audio/webm'],
  [/^mp3$/, 'audio/mpeg', 'audio/mpeg'],
  [/^wav$/, 'audio/wav', 'audio/wav'],
  [/^ogg$/, 'video/ogg', 'audio/ogg'],
  [/png/, 'image/png', 'image/png'],
  [/jpeg|mjpeg/, 'image/jpeg', 'image/jpeg'],
  [/gif/, 'image/gif', 'image/gif'],
  [/webp/, 'image/webp', 'image/webp'],
];

function mimeTypeOf(formatName: string, kind: MediaInfo['kind']): string {
  const match = FORMAT_MIME.find(([pattern]) => pattern.test(formatName));
  if (!match) return 'application/octet-stream';
  return kind === 'audio' ? match[2] : match[1];
}

/** The parts of a stored asset that come from probing it. */
export function probedFields(info: MediaInfo) {
  const { size, kind, duration, width, height, hasAudio } = info;
  return { size, kind, duration, width, height, hasAudio };
}

/**
 * A truncated upload still has its header, so ffprobe alone accepts it: decoding the last half second finds the
 * missing data quickly, without decoding the whole file.
 */
async function decodeTail(
  filePath: string,
  name: string,
  stream: 'v' | 'a',
  options: ProbeMediaOptions,
): Promise<void> {
  try {
    await execFileAsync(
      'ffmpeg',
      [
        '-v',
        'error',
        '-xerror',
        '-nostdin',
        '-sseof',
        '-0.5',
        '-i',
        filePath,
        '-map',
        `0:${stream}:0`,
        '-frames:v',
        '1',
        '-f',
        'null',
        '-',
      ],
      { signal: options.signal, timeout: options.timeoutMs ?? 20_000 },
    );
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw corrupt(filePath, name, error);
  }
}

function corrupt(filePath: string, name: string, cause: unknown): CutroomError {
  const detail =
    cause instanceof Error ? (cause as Error & { stderr?: string }).stderr || cause.message : String(cause);
  return new CutroomError(
    ErrorCode.AssetCorrupt,
    `probe: ${filePath} is not readable media: ${String(detail).trim().slice(0, 300)}`,
    {
      userMessage: `"${name}" looks damaged or is not a media file I can read. Please check it plays, then upload it again.`,
      cause,
    },
  );
}
