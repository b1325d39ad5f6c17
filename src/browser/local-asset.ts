/** @module Turns a file on disk into an asset a session can load: probed, classified, named. */
import path from 'node:path';
import { probeMedia } from '../media/probe-media.ts';
import type { LoadableAsset } from './types.ts';

const MIME_BY_KIND = { video: 'video/mp4', audio: 'audio/mpeg', image: 'image/png' } as const;
const MIME_BY_EXTENSION: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

export async function localAsset(
  filePath: string,
  options: { signal?: AbortSignal } = {},
): Promise<LoadableAsset> {
  const name = path.basename(filePath);
  const info = await probeMedia(filePath, { signal: options.signal, displayName: name });
  const extension = path.extname(filePath).toLowerCase();
  return {
    key: filePath,
    path: path.resolve(filePath),
    name,
    mimeType: MIME_BY_EXTENSION[extension] ?? MIME_BY_KIND[info.kind],
    size: info.size,
    kind: info.kind,
    duration: info.duration,
    width: info.width,
    height: info.height,
    hasAudio: info.hasAudio,
  };
}
