/** @module The configurable clip limits (size, duration, count), each refusal with a plain message. */
import { CutroomError, ErrorCode } from '../errors.ts';

export interface AssetLimits {
  maxAssetBytes: number;
  maxAssetSeconds: number;
  maxAssets: number;
  /** Largest picture, either way round (CUTROOM_MAX_ASSET_DIMENSIONS); absent: no limit. */
  maxAssetDimensions?: { width: number; height: number };
  /** Attachments downloaded and probed at once in this process. @defaultValue 4 */
  maxConcurrentIngests?: number;
}

/** Checks a declared or downloaded size before anything is stored. */
export function assertAssetSize(asset: { name: string; size: number }, limits: AssetLimits): void {
  if (asset.size > limits.maxAssetBytes) {
    throw new CutroomError(
      ErrorCode.AssetTooLarge,
      `asset ${JSON.stringify(asset.name)} is ${asset.size} bytes, over the limit of ${limits.maxAssetBytes} (CUTROOM_MAX_ASSET_MB)`,
      {
        userMessage: `"${asset.name}" is ${formatMb(asset.size)}; the limit is ${formatMb(limits.maxAssetBytes)} per clip.`,
      },
    );
  }
}

/** Checks a probed duration. */
export function assertAssetDuration(asset: { name: string; duration: number }, limits: AssetLimits): void {
  if (asset.duration > limits.maxAssetSeconds) {
    throw new CutroomError(
      ErrorCode.AssetTooLong,
      `asset ${JSON.stringify(asset.name)} lasts ${asset.duration} s, over the limit of ${limits.maxAssetSeconds} s (CUTROOM_MAX_ASSET_SECONDS)`,
      {
        userMessage: `"${asset.name}" is ${formatSeconds(asset.duration)} long; the limit is ${formatSeconds(limits.maxAssetSeconds)} per clip.`,
      },
    );
  }
}

export function assertAssetCount(count: number, limits: AssetLimits): void {
  if (count > limits.maxAssets) {
    throw new CutroomError(
      ErrorCode.AssetTooLarge,
      `${count} assets attached, over the limit of ${limits.maxAssets} (CUTROOM_MAX_ASSETS)`,
      { userMessage: `Please attach at most ${limits.maxAssets} clips per request (you sent ${count}).` },
    );
  }
}

function formatMb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} seconds`;
  return `${Math.round(seconds / 60)} minutes`;
}
