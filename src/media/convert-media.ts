/**
 * @module Converts an upload the page cannot take into one it can, with ffmpeg: H.264 (8-bit 4:2:0, SDR, upright,
 * even size, square pixels, constant frame rate, a keyframe every second) + AAC in a fast-start MP4; sound alone
 * into AAC in M4A; other still images into PNG.
 *
 * ffmpeg turns the picture by the track's display matrix itself (autorotate) and drops the matrix from its output.
 * HDR is tone-mapped with zimg (`zscale`) and ffmpeg's `tonemap` (Mobius, no desaturation), then tagged BT.709.
 * Mobius keeps what lies in the SDR range nearly as it was and bends only the highlights, which suits phone footage
 * (ordinary scenes with bright spots); Hable darkened SDR-range colours by a third in our check.
 */
import type { MediaInfo } from './probe-media.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

export interface ConvertMediaOptions {
  inputPath: string;
  /** Written in place; the caller picks a temporary name and renames it when this resolves. */
  outPath: string;
  info: MediaInfo;
  /** Keep the video stream as it is and convert only the sound. */
  copyVideo?: boolean;
  /** 0–100, about twice a second. */
  onProgress?: (percent: number) => void;
  signal?: AbortSignal;
  /** @defaultValue 3600000 */
  timeoutMs?: number;
}

/** What a conversion of this kind of input produces. */
export function convertedFormat(info: MediaInfo): { extension: string; mimeType: string } {
  if (info.kind === 'image') return { extension: 'png', mimeType: 'image/png' };
  if (info.kind === 'audio') return { extension: 'm4a', mimeType: 'audio/mp4' };
  return { extension: 'mp4', mimeType: 'video/mp4' };
}

/** Above this a converted clip keeps its timing but not every frame (a 240 fps slow-motion clip becomes 60 fps). */
const MAX_FRAME_RATE = 60;
/**
 * The keyframe interval: sampling seeks to keyframes, and the architecture notes measured a 1 s interval sampling
 * 4× faster than 5 s at the same quality.
 */
const KEYFRAME_SECONDS = 1;

export async function convertMedia(options: ConvertMediaOptions): Promise<void> {
  const { info } = options;
  const args = [
    '-y',
    '-i',
    options.inputPath,
    ...outputArgs(info, options.copyVideo ?? false),
    options.outPath,
  ];
  const duration = info.duration;
  await runFfmpeg(args, {
    label: `convert ${info.kind}`,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 3_600_000,
    onProgress:
      options.onProgress && duration > 0
        ? (outSeconds) => options.onProgress?.(Math.min(100, Math.max(0, (100 * outSeconds) / duration)))
        : undefined,
  });
}

function outputArgs(info: MediaInfo, copyVideo: boolean): string[] {
  if (info.kind === 'image') return ['-map', '0:v:0', '-frames:v', '1', '-f', 'image2', '-c:v', 'png'];
  const sound = info.hasAudio ? ['-map', '0:a:0', ...soundArgs(info)] : [];
  if (info.kind === 'audio') return ['-vn', ...sound, '-movflags', '+faststart', '-f', 'ipod'];
  const picture = copyVideo ? ['-c:v', 'copy'] : pictureArgs(info);
  return [
    '-map',
    '0:v:0',
    ...picture,
    ...sound,
    '-map_chapters',
    '-1',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
  ];
}

function soundArgs(info: MediaInfo): string[] {
  // AAC is copied as it is: re-encoding would cost time and quality for nothing.
  return info.audioCodec === 'aac' ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '192k'];
}

function pictureArgs(info: MediaInfo): string[] {
  const filters = [
    ...(info.hdr ? toneMap(info.hdr) : []),
    // Even sides for 4:2:0, and square pixels: the page shows stored pixels as they are.
    'scale=trunc(iw*sar/2)*2:trunc(ih/2)*2',
    'setsar=1',
    'format=yuv420p',
  ];
  const nominal = info.frameRate > 0 ? info.frameRate : 30;
  const rate = Math.min(MAX_FRAME_RATE, Math.round(nominal * 1000) / 1000);
  return [
    '-vf',
    filters.join(','),
    // A constant rate: phones record a varying one, and a constant grid keeps sampled times exact.
    '-fps_mode',
    'cfr',
    '-r',
    String(rate),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-profile:v',
    'high',
    '-force_key_frames',
    `expr:gte(t,n_forced*${KEYFRAME_SECONDS})`,
    ...(info.hdr ? ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'] : []),
  ];
}

/** PQ or HLG → linear light (100 nits reference white) → BT.709 primaries → Mobius curve → BT.709 transfer. */
function toneMap(transfer: 'pq' | 'hlg'): string[] {
  const tin = transfer === 'pq' ? 'smpte2084' : 'arib-std-b67';
  return [
    `zscale=tin=${tin}:pin=bt2020:min=bt2020nc:t=linear:npl=100`,
    'format=gbrpf32le',
    'zscale=p=bt709',
    'tonemap=tonemap=mobius:desat=0',
    'zscale=t=bt709:m=bt709:r=tv',
  ];
}
