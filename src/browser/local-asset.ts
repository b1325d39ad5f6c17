/** @module Turns a file on disk into an asset a session can load: checked, probed, classified, named. */
import path from 'node:path';
import { probedFields } from '../media/probe-media.ts';
import { type MediaLimits, validateMedia } from '../media/validate-media.ts';
import type { LoadableAsset } from './types.ts';

export async function localAsset(
  filePath: string,
  options: { signal?: AbortSignal; limits?: MediaLimits } = {},
): Promise<LoadableAsset> {
  const name = path.basename(filePath);
  const info = await validateMedia(filePath, {
    signal: options.signal,
    displayName: name,
    limits: options.limits,
  });
  return {
    key: filePath,
    path: path.resolve(filePath),
    name,
    mimeType: info.mimeType,
    ...probedFields(info),
  };
}
