/** @module Reads what a media file really is with ffprobe, whatever its name or declared type says. */
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { CutroomError, ErrorCode } from '../errors.ts';
import { runFfprobe, ToolFailedError } from './run-ffmpeg.ts';

/** One audio or video track as the index describes it (what the integrity check compares the data against). */
export interface ProbedTrack {
  index: number;
  type: 'video' | 'audio';
  codec: string;
  /** Seconds; the track's own start and length when the container says. */
  startSeconds: number;
  durationSeconds?: number;
}

export interface MediaInfo {
  kind: 'video' | 'audio' | 'image';
  /** Seconds; 0 for images. */
  duration: number;
  /** Display size: after the track's rotation and pixel aspect ratio, as players show it. */
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
  /** Size of the stored pictures, before rotation. */
  codedWidth: number;
  codedHeight: number;
  /** Clockwise degrees the picture is turned for display (the track's display matrix): 0, 90, 180 or 270. */
  rotation: number;
  /** ffmpeg pixel format of the video, e.g. `yuv420p`, `yuv420p10le`. */
  pixelFormat?: string;
  /** Bits per colour sample of the video (8, 10, 12). */
  bitDepth: number;
  /** Codec profile as ffprobe names it, e.g. `High`, `Main 10`. */
  profile?: string;
  /** The video's transfer characteristic is PQ (HDR10, Dolby Vision) or HLG. */
  hdr: 'pq' | 'hlg' | undefined;
  /** Frames per second: the nominal rate, or the average when the nominal one is implausible (0 when unknown). */
  frameRate: number;
  /** Frame timing varies (phones record this way): the nominal and average rates disagree. */
  variableFrameRate: boolean;
  /** Who recorded it, when the file says: `iPhone`, `Android`, a camera maker … */
  device?: string;
  /** Container start time in seconds. */
  startSeconds: number;
  tracks: ProbedTrack[];
}

const Stream = z.object({
  index: z.number(),
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  profile: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  pix_fmt: z.string().optional(),
  color_transfer: z.string().optional(),
  sample_aspect_ratio: z.string().optional(),
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  start_time: z.string().optional(),
  duration: z.string().optional(),
  disposition: z.object({ attached_pic: z.number().optional() }).partial().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  side_data_list: z.array(z.object({ rotation: z.number().optional() })).optional(),
});
type Stream = z.infer<typeof Stream>;

const FfprobeOutput = z.object({
  streams: z.array(Stream).default([]),
  format: z
    .object({
      format_name: z.string().optional(),
      duration: z.string().optional(),
      start_time: z.string().optional(),
      tags: z.record(z.string(), z.string()).optional(),
    })
    .partial()
    .default({}),
});

const IMAGE_FORMATS = new Set([
  'png_pipe',
  'jpeg_pipe',
  'webp_pipe',
  'gif',
  'image2',
  'bmp_pipe',
  'tiff_pipe',
]);

export interface ProbeMediaOptions {
  signal?: AbortSignal;
  /** @defaultValue 20000 */
  timeoutMs?: number;
  /** Name to use in messages instead of the path (the user's file name). */
  displayName?: string;
}

/**
 * Probes a file with ffprobe and classifies it. It reads the index only: whether the media data is all there is
 * `checkMediaIntegrity`'s question.
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
    stdout = await runFfprobe(['-print_format', 'json', '-show_format', '-show_streams', filePath], {
      label: 'probe',
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? 20_000,
    });
  } catch (error) {
    // Only ffprobe's own verdict means the file is unreadable: a timeout or a missing tool is not the file's fault.
    if (!(error instanceof ToolFailedError)) throw error;
    throw unreadableMedia(filePath, name, error);
  }
  const parsed = FfprobeOutput.safeParse(JSON.parse(stdout || '{}'));
  if (!parsed.success) throw unreadableMedia(filePath, name, parsed.error);
  const { streams, format } = parsed.data;
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = streams.find((s) => s.codec_type === 'audio');
  const formatName = format.format_name ?? 'unknown';
  const duration = seconds(format.duration ?? video?.duration ?? audio?.duration);
  const base = {
    formatName,
    size: info.size,
    videoCodec: video?.codec_name,
    audioCodec: audio?.codec_name,
    startSeconds: seconds(format.start_time),
    device: deviceOf({ ...format.tags, ...video?.tags }),
    tracks: tracksOf(streams),
    ...pictureOf(video),
  };

  if (video && (IMAGE_FORMATS.has(formatName) || (duration === 0 && !audio))) {
    return {
      ...base,
      kind: 'image',
      duration: 0,
      hasAudio: false,
      mimeType: mimeTypeOf(formatName, 'image'),
      audioCodec: undefined,
    };
  }
  if (video) {
    if (!video.width || !video.height || duration <= 0)
      throw unreadableMedia(filePath, name, 'no decodable video frames');
    return {
      ...base,
      kind: 'video',
      duration,
      hasAudio: Boolean(audio),
      mimeType: mimeTypeOf(formatName, 'video'),
    };
  }
  if (audio) {
    if (duration <= 0) throw unreadableMedia(filePath, name, 'no decodable audio');
    return { ...base, kind: 'audio', duration, hasAudio: true, mimeType: mimeTypeOf(formatName, 'audio') };
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
  [/^flac$/, 'audio/flac', 'audio/flac'],
  [/^aac$/, 'audio/aac', 'audio/aac'],
  [/^avi$/, 'video/x-msvideo', 'audio/x-msvideo'],
  [/^asf$/, 'video/x-ms-asf', 'audio/x-ms-wma'],
  [/^amr$/, 'audio/amr', 'audio/amr'],
  [/^mpegts$/, 'video/mp2t', 'audio/mp2t'],
  [/png/, 'image/png', 'image/png'],
  [/jpeg|mjpeg/, 'image/jpeg', 'image/jpeg'],
  [/gif/, 'image/gif', 'image/gif'],
  [/webp/, 'image/webp', 'image/webp'],
  [/bmp/, 'image/bmp', 'image/bmp'],
  [/tiff/, 'image/tiff', 'image/tiff'],
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

function pictureOf(video: Stream | undefined) {
  const codedWidth = video?.width ?? 0;
  const codedHeight = video?.height ?? 0;
  const rotation = rotationOf(video);
  // Anamorphic pictures are shown wider (or narrower) than stored: players scale by the sample aspect ratio.
  const [sarNum, sarDen] = (video?.sample_aspect_ratio ?? '1:1').split(':').map(Number);
  const sar = sarNum > 0 && sarDen > 0 ? sarNum / sarDen : 1;
  const shownWidth = Math.round(codedWidth * sar);
  const turned = rotation % 180 !== 0;
  const average = rate(video?.avg_frame_rate);
  const nominal = rate(video?.r_frame_rate);
  return {
    codedWidth,
    codedHeight,
    rotation,
    width: turned ? codedHeight : shownWidth,
    height: turned ? shownWidth : codedHeight,
    pixelFormat: video?.pix_fmt,
    bitDepth: bitDepthOf(video?.pix_fmt),
    profile: video?.profile,
    hdr: hdrOf(video?.color_transfer),
    frameRate: nominal > 0 && nominal <= 240 ? nominal : average,
    variableFrameRate: average > 0 && nominal > 0 && Math.abs(average - nominal) / nominal > 0.01,
  };
}

/** ffprobe reports the display matrix's angle counter-clockwise; players turn the picture clockwise by its negation. */
function rotationOf(video: Stream | undefined): number {
  const matrix = video?.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const counterClockwise = matrix ?? -Number(video?.tags?.rotate ?? 0);
  const clockwise = (((-Math.round(counterClockwise / 90) * 90) % 360) + 360) % 360;
  return Number.isFinite(clockwise) ? clockwise : 0;
}

function bitDepthOf(pixelFormat: string | undefined): number {
  const match = /p(\d{2})(?:le|be)$/.exec(pixelFormat ?? '');
  return match ? Number(match[1]) : 8;
}

function hdrOf(transfer: string | undefined): MediaInfo['hdr'] {
  if (transfer === 'smpte2084') return 'pq';
  if (transfer === 'arib-std-b67') return 'hlg';
  return undefined;
}

function deviceOf(tags: Record<string, string>): string | undefined {
  const lower = Object.fromEntries(Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v]));
  const model = lower['com.apple.quicktime.model'] ?? lower.model;
  const make = lower['com.apple.quicktime.make'] ?? lower.make;
  if (/iphone/i.test(model ?? '')) return 'iPhone';
  if (/ipad/i.test(model ?? '')) return 'iPad';
  if (/apple/i.test(make ?? '')) return 'Apple';
  if (lower['com.android.version'] || lower['com.android.manufacturer']) return 'Android';
  return make?.trim() || undefined;
}

function tracksOf(streams: Stream[]): ProbedTrack[] {
  return streams.flatMap((s) =>
    (s.codec_type === 'video' && !s.disposition?.attached_pic) || s.codec_type === 'audio'
      ? [
          {
            index: s.index,
            type: s.codec_type as ProbedTrack['type'],
            codec: s.codec_name ?? 'unknown',
            startSeconds: seconds(s.start_time),
            durationSeconds: s.duration === undefined ? undefined : seconds(s.duration),
          },
        ]
      : [],
  );
}

function rate(value: string | undefined): number {
  const [num, den] = (value ?? '0/1').split('/').map(Number);
  return den > 0 && Number.isFinite(num) ? num / den : 0;
}

function seconds(value: string | undefined): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** The refusal for a file ffprobe cannot make sense of: damaged, or not media at all. */
export function unreadableMedia(filePath: string, name: string, cause: unknown): CutroomError {
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
