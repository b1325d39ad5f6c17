/**
 * @module Refuses broken or unusable uploads before anything is queued or rendered, each refusal naming the file:
 * empty, not media (and what it is instead), named as the wrong kind, too many pixels, protected (DRM or a
 * password), truncated, or damaged at the end. Reads and probes only: converting is the worker's job.
 */
import path from 'node:path';
import { CutroomError, ErrorCode } from '../errors.ts';
import { checkMediaIntegrity } from './check-media-integrity.ts';
import { findProtection } from './find-protection.ts';
import { type MediaInfo, probeMedia } from './probe-media.ts';
import { type SniffedContent, sniffContent } from './sniff-content.ts';

/** The limits this check applies (AssetLimits carries them; size, duration and count are checked where they are). */
export interface MediaLimits {
  /** Largest picture, either way round. @defaultValue no limit */
  maxAssetDimensions?: { width: number; height: number };
}

export interface ValidateMediaOptions {
  /** The user's name for the file. @defaultValue the file's base name */
  displayName?: string;
  limits?: MediaLimits;
  signal?: AbortSignal;
  /** Per ffprobe/ffmpeg run: a 100-megapixel image takes ffprobe seconds on a busy machine. @defaultValue 60000 */
  timeoutMs?: number;
}

const VIDEO_EXTENSIONS = /\.(?:mp4|m4v|mov|qt|webm|mkv|avi|wmv|asf|flv|mpe?g|ts|mts|m2ts|3gp|3g2|ogv|mxf)$/i;
const AUDIO_EXTENSIONS = /\.(?:mp3|m4a|aac|wav|ogg|oga|opus|flac|amr|awb|wma|aiff?|caf)$/i;
const IMAGE_EXTENSIONS = /\.(?:png|jpe?g|gif|webp|bmp|tiff?|heic|heif|avif)$/i;

/**
 * @returns what the file is (display size after rotation).
 * @throws CutroomError asset_missing, asset_empty, asset_unsupported, asset_too_large, asset_protected,
 * or asset_corrupt (damaged or cut short), each with a user message naming the file.
 */
export async function validateMedia(
  filePath: string,
  options: ValidateMediaOptions = {},
): Promise<MediaInfo> {
  const name = options.displayName ?? path.basename(filePath);
  const probeOptions = { signal: options.signal, timeoutMs: options.timeoutMs ?? 60_000, displayName: name };
  const sniffed = await sniffContent(filePath).catch((): SniffedContent => ({ passwordProtected: false }));
  refuseNonMedia(filePath, name, sniffed);
  const info = await probeMedia(filePath, probeOptions);
  refuseWrongName(filePath, name, info);
  refuseTooManyPixels(name, info, options.limits);
  if (/mov|mp4/.test(info.formatName) && (await findProtection(filePath))) {
    throw new CutroomError(ErrorCode.AssetProtected, `validate: ${filePath} has encrypted (DRM) tracks`, {
      userMessage: `"${name}" is copy-protected (DRM), so it cannot be edited. Please upload a copy without protection, such as your own recording.`,
    });
  }
  await checkMediaIntegrity(filePath, info, probeOptions);
  return info;
}

function refuseNonMedia(filePath: string, name: string, sniffed: SniffedContent): void {
  if (sniffed.passwordProtected) {
    throw new CutroomError(ErrorCode.AssetProtected, `validate: ${filePath} is a password-protected ZIP`, {
      userMessage: `"${name}" is a password-protected archive. Please upload the clips themselves.`,
    });
  }
  if (!sniffed.label) return;
  const photo = /^image\/hei[cf]$/.test(sniffed.mime ?? '');
  throw new CutroomError(ErrorCode.AssetUnsupported, `validate: ${filePath} is ${sniffed.mime}`, {
    userMessage: photo
      ? `"${name}" is ${sniffed.label}, which I cannot read yet. Please export it as JPEG (on an iPhone: Settings → Camera → Formats → Most Compatible).`
      : `"${name}" is ${sniffed.label}, not a video, audio or image file. Please upload the clips themselves.`,
  });
}

/** A still image named like a video (or the other way round) is almost always the wrong file. */
function refuseWrongName(filePath: string, name: string, info: MediaInfo): void {
  const named = IMAGE_EXTENSIONS.test(name)
    ? 'image'
    : VIDEO_EXTENSIONS.test(name) || AUDIO_EXTENSIONS.test(name)
      ? 'clip'
      : undefined;
  const actual = info.kind === 'image' ? 'image' : 'clip';
  if (!named || named === actual) return;
  const is =
    info.kind === 'image'
      ? `a ${info.mimeType.replace('image/', '').toUpperCase()} image`
      : `a ${info.kind === 'video' ? 'video' : 'sound recording'}`;
  const extension = path.extname(name).toLowerCase();
  throw new CutroomError(
    ErrorCode.AssetUnsupported,
    `validate: ${filePath} is named ${extension} but is ${info.kind}`,
    {
      userMessage: `"${name}" is named like ${named === 'image' ? 'an image' : 'a video or audio file'} (${extension}) but is ${is}. Please check it is the file you meant, and rename or export it again.`,
    },
  );
}

function refuseTooManyPixels(name: string, info: MediaInfo, limits: MediaLimits | undefined): void {
  const box = limits?.maxAssetDimensions;
  if (!box || info.kind === 'audio') return;
  const { width, height } = info;
  const fits = (width <= box.width && height <= box.height) || (width <= box.height && height <= box.width);
  if (fits) return;
  const what = info.kind === 'image' ? 'image' : 'video';
  throw new CutroomError(
    ErrorCode.AssetTooLarge,
    `validate: ${JSON.stringify(name)} is ${width}x${height}, over the limit of ${box.width}x${box.height} (CUTROOM_MAX_ASSET_DIMENSIONS)`,
    {
      userMessage: `"${name}" is ${width}×${height} pixels; the largest ${what} I take is ${box.width}×${box.height}. Please resize it and upload it again.`,
    },
  );
}
