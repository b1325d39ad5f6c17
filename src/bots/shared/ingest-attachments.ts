/** @module Streams chat attachments into the artifact store, checking count, type, size and real media content. */
import { pipeline, type Readable, Transform } from 'node:stream';
import { CutroomError, ErrorCode, isAbortError } from '../../errors.ts';
import { probedFields } from '../../media/probe-media.ts';
import { validateMedia } from '../../media/validate-media.ts';
import { type ArtifactStore, uploadKey } from '../../queue/artifact-store.ts';
import {
  type AssetLimits,
  assertAssetCount,
  assertAssetDuration,
  assertAssetSize,
} from '../../queue/asset-limits.ts';
import type { StoredAsset, ThreadRef } from '../../queue/types.ts';
import { ingestSlotsFor } from './ingest-slots.ts';

/** A file as a chat platform announces it; nothing is downloaded until `open()`. */
export interface IncomingFile {
  name: string;
  /** Declared size in bytes, when the platform says. */
  size?: number;
  /** Declared MIME type, when the platform says (never trusted alone: the probe decides). */
  mimeType?: string;
  /** Starts the download. Throws CutroomError (download_failed, missing_scope) with a user message. */
  open(signal?: AbortSignal): Promise<Readable>;
}

/** The part of the artifact store that ingestion needs. */
export type AttachmentStore = Pick<ArtifactStore, 'write' | 'pathFor' | 'delete'>;

export interface IngestAttachmentsOptions {
  files: IncomingFile[];
  store: AttachmentStore;
  limits: AssetLimits;
  /** Files are kept with the thread, so they expire with it. */
  thread: ThreadRef;
  /** Keys are grouped by request so a retried request overwrites its own files only. */
  requestId: string;
  signal?: AbortSignal;
  /** Told of every chunk downloaded, for a progress line (throttle it: a big clip has thousands). */
  onProgress?: (progress: IngestProgress) => void;
}

export interface IngestProgress {
  /** The file being downloaded. */
  name: string;
  /** 0-based, of `count` files. */
  index: number;
  count: number;
  /** Of all the files, downloaded so far and in all (the sizes the platform declared), when every size is known. */
  receivedBytes: number;
  totalBytes?: number;
}

/** `body`, telling `onChunk` the bytes that passed so far. */
function counted(body: Readable, onChunk: (bytes: number) => void): Readable {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      onChunk(bytes);
      callback(null, chunk);
    },
  });
  pipeline(body, counter, () => {});
  return counter;
}

const MEDIA_TYPE = /^(?:video|audio|image)\//i;
// Declared types that say nothing about the content; the probe decides for these.
const UNKNOWN_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream']);
const MEDIA_EXTENSION =
  /\.(?:mp4|m4v|mov|webm|mkv|avi|mpe?g|ts|mts|3gp|ogv|mp3|m4a|aac|wav|ogg|oga|opus|flac|png|jpe?g|gif|webp|bmp)$/i;

function describeType(name: string, mimeType: string): string {
  if (/pdf/i.test(mimeType) || /\.pdf$/i.test(name)) return 'a PDF';
  if (/^text\//i.test(mimeType)) return 'a text file';
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1];
  return ext ? `a .${ext.toLowerCase()} file` : `a ${mimeType} file`;
}

function checkDeclared(file: IncomingFile, limits: AssetLimits): void {
  const mimeType = (file.mimeType ?? '').toLowerCase();
  const plausible =
    MEDIA_TYPE.test(mimeType) ||
    MEDIA_EXTENSION.test(file.name) ||
    (UNKNOWN_TYPES.has(mimeType) && !/\.[A-Za-z0-9]+$/.test(file.name));
  if (!plausible) {
    throw new CutroomError(
      ErrorCode.AssetUnsupported,
      `ingest: "${file.name}" declared ${mimeType || 'no type'}, not video/audio/image`,
      {
        userMessage: `"${file.name}" is ${describeType(file.name, mimeType)}, not a video, audio or image file. Please upload a clip (MP4, MOV, WebM, MP3, PNG, JPEG …).`,
      },
    );
  }
  if (file.size !== undefined) assertAssetSize({ name: file.name, size: file.size }, limits);
}

/**
 * Streams each file into the store (under `uploadKey`), then checks what it really is (validateMedia: probed,
 * complete, unprotected, within the pixel limit). Cheap checks (count, declared type and size) run before any byte
 * is downloaded. On any failure the files stored so far are deleted and the CutroomError (with its user message)
 * is thrown: asset_unsupported, asset_too_large, asset_too_long, asset_corrupt, asset_protected,
 * asset_empty, download_failed or missing_scope.
 */
export async function ingestAttachments(options: IngestAttachmentsOptions): Promise<StoredAsset[]> {
  const { files, store, limits, signal } = options;
  assertAssetCount(files.length, limits);
  for (const file of files) checkDeclared(file, limits);

  const stored: string[] = [];
  const assets: StoredAsset[] = [];
  const sizes = files.map((f) => f.size);
  const totalBytes = sizes.every((size) => size !== undefined)
    ? sizes.reduce((sum: number, size) => sum + (size ?? 0), 0)
    : undefined;
  let doneBytes = 0;
  try {
    for (const [index, file] of files.entries()) {
      signal?.throwIfAborted();
      const key = uploadKey(options.thread, options.requestId, index, file.name);
      const info = await ingestSlotsFor(limits).run(async () => {
        const opened = await file.open(signal);
        const report = options.onProgress;
        const body = report
          ? counted(opened, (bytes) =>
              report({
                name: file.name,
                index,
                count: files.length,
                receivedBytes: doneBytes + bytes,
                totalBytes,
              }),
            )
          : opened;
        stored.push(key);
        await store.write(key, body, {
          name: file.name,
          mimeType: file.mimeType ?? 'application/octet-stream',
          maxBytes: limits.maxAssetBytes,
          signal,
        });
        doneBytes += file.size ?? 0;
        return validateMedia(store.pathFor(key), { signal, displayName: file.name, limits });
      }, signal);
      assertAssetDuration({ name: file.name, duration: info.duration }, limits);
      assets.push({
        key,
        name: file.name,
        mimeType: file.mimeType && !UNKNOWN_TYPES.has(file.mimeType) ? file.mimeType : info.mimeType,
        ...probedFields(info),
      });
    }
  } catch (error) {
    await Promise.allSettled(stored.map((key) => store.delete(key)));
    if (isAbortError(error)) throw error;
    throw error instanceof CutroomError
      ? error
      : new CutroomError(ErrorCode.DownloadFailed, `ingest: ${(error as Error).message}`, {
          userMessage: 'I could not download the attachments. Please try again.',
          retryable: true,
          cause: error,
        });
  }
  return assets;
}
