/** @module Turns a file on disk into an asset a session can load: probed, classified, named. */
import path from 'node:path';
import { probedFields, probeMedia } from '../media/probe-media.ts';
import type { LoadableAsset } from './types.ts';

export async function localAsset(
  filePath: string,
  options: { signal?: AbortSignal } = {},
): Promise<LoadableAsset> {
  const name = path.basename(filePath);
  const info = await probeMedia(filePath, { signal: options.signal, displayName: name });
  return {
    key: filePath,
    path: path.resolve(filePath),
    name,
    mimeType: info.mimeType,
    ...probedFields(info),
  };
}
