/** @module The artifact store: uploads, preview sheets and renders as files under `<CUTROOM_DATA_DIR>/artifacts`. */
import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CutroomError, ErrorCode } from '../errors.ts';
import { type ArtifactRef, type ThreadRef, threadKey } from './types.ts';

export interface ArtifactStoreOptions {
  /** Usually `<CUTROOM_DATA_DIR>/artifacts`; shared by every machine (e.g. a network volume). */
  root: string;
}

export interface WriteArtifactOptions {
  name: string;
  mimeType: string;
  /** Stop and delete the partial file once more bytes than this arrive (asset_too_large). */
  maxBytes?: number;
  signal?: AbortSignal;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const TEMP_MARKER = '.partial-';

/**
 * Files are written to a temporary name and renamed into place, so readers (another machine, a
 * retried job) never see half a file, and a crash leaves only a partial file the sweep removes.
 */
export class ArtifactStore {
  readonly root: string;

  constructor(options: ArtifactStoreOptions) {
    this.root = path.resolve(options.root);
  }

  /** The absolute path of `key`. @throws TypeError for keys that could escape the root. */
  pathFor(key: string): string {
    const segments = key.split('/');
    if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s) && !s.includes('..'))) {
      throw new TypeError(
        `artifact key ${JSON.stringify(key)} is invalid: use "/"-separated segments of letters, digits, ".", "_" and "-" (no "..", no leading dot)`,
      );
    }
    const full = path.join(this.root, ...segments);
    if (!full.startsWith(this.root + path.sep))
      throw new TypeError(`artifact key ${JSON.stringify(key)} escapes the store`);
    return full;
  }

  /** Streams `data` into the store; never holds the whole file in memory. */
  async write(
    key: string,
    data: Readable | Buffer | Uint8Array,
    options: WriteArtifactOptions,
  ): Promise<ArtifactRef> {
    const target = this.pathFor(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}${TEMP_MARKER}${randomBytes(6).toString('hex')}`;
    let size = 0;
    const { maxBytes } = options;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (maxBytes !== undefined && size > maxBytes) {
          callback(
            new CutroomError(ErrorCode.AssetTooLarge, `artifact ${key}: more than ${maxBytes} bytes`, {
              userMessage: `"${options.name}" is larger than the limit of ${Math.floor(maxBytes / (1024 * 1024))} MB.`,
            }),
          );
          return;
        }
        callback(null, chunk);
      },
    });
    const source = data instanceof Readable ? data : Readable.from([data]);
    const file = await open(temp, 'w');
    try {
      await pipeline(source, counter, file.createWriteStream(), { signal: options.signal });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    } finally {
      await file.close().catch(() => {});
    }
    return { key, name: options.name, mimeType: options.mimeType, size };
  }

  /** Size and modification time, or undefined when the key holds nothing. */
  async stat(key: string): Promise<{ size: number; mtimeMs: number } | undefined> {
    try {
      const s = await stat(this.pathFor(key));
      return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathFor(key), { force: true });
  }

  /**
   * Retention. A thread's folder (`threads/<scope>`) goes as a whole once `isLive(scope)` says the
   * thread's state has expired and nothing in it was written within `olderThanMs` (a request being
   * taken in writes its clips before its thread is claimed). Files outside thread folders go one by
   * one by age.
   * @returns how many files were deleted.
   */
  async sweep(options: {
    olderThanMs: number;
    isLive: (scope: string) => Promise<boolean>;
    now?: number;
  }): Promise<number> {
    const cutoff = (options.now ?? Date.now()) - options.olderThanMs;
    let deleted = 0;
    for (const entry of await entriesOf(this.root)) {
      if (!entry.isDirectory()) continue;
      const full = path.join(this.root, entry.name);
      if (entry.name !== THREADS_DIR) {
        deleted += await sweepOldFiles(full, cutoff);
        continue;
      }
      for (const scope of await entriesOf(full)) {
        if (!scope.isDirectory() || (await options.isLive(scope.name))) continue;
        const files = await fileTimesIn(path.join(full, scope.name));
        if (files.some((mtimeMs) => mtimeMs >= cutoff)) continue;
        await rm(path.join(full, scope.name), { recursive: true, force: true });
        deleted += files.length;
      }
    }
    return deleted;
  }
}

async function entriesOf(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The modification times of every file under `dir`. */
async function fileTimesIn(dir: string): Promise<number[]> {
  const times: number[] = [];
  for (const entry of await entriesOf(dir)) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) times.push(...(await fileTimesIn(full)));
    else if (entry.isFile()) {
      const s = await stat(full).catch(() => undefined);
      if (s) times.push(s.mtimeMs);
    }
  }
  return times;
}

/** Deletes files older than `cutoff` under `dir`, then the directories left empty. */
async function sweepOldFiles(dir: string, cutoff: number): Promise<number> {
  let deleted = 0;
  for (const entry of await entriesOf(dir)) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      deleted += await sweepOldFiles(full, cutoff);
    } else if (entry.isFile()) {
      const s = await stat(full).catch(() => undefined);
      if (s && s.mtimeMs < cutoff) {
        await rm(full, { force: true });
        deleted++;
      }
    }
  }
  // Fails harmlessly when the directory still holds files (or a writer just created one).
  await rmdir(dir).catch(() => {});
  return deleted;
}

/** A file name reduced to safe characters, keeping the extension readable. */
export function safeFileName(name: string): string {
  const base = path.basename(name).normalize('NFKD');
  const cleaned = base
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .replace(/\.{2,}/g, '.')
    .slice(-120);
  return cleaned === '' ? 'file' : cleaned;
}

/** Every artifact of a thread lives under this folder of the store, so the thread's files expire together. */
export const THREADS_DIR = 'threads';

/** The folder name of a thread's artifacts (a hash: platform ids never reach the file system as typed). */
export function artifactScopeOf(thread: ThreadRef): string {
  return hashOf(threadKey(thread));
}

function threadDir(thread: ThreadRef): string {
  return `${THREADS_DIR}/${artifactScopeOf(thread)}`;
}

/** A clip of a request, under the thread it was posted in. */
export function uploadKey(thread: ThreadRef, requestId: string, index: number, name: string): string {
  return `${threadDir(thread)}/uploads/${hashOf(requestId)}/${index}-${safeFileName(name)}`;
}

/** The render one request made. */
export function renderKey(thread: ThreadRef, requestId: string): string {
  return `${threadDir(thread)}/renders/${hashOf(requestId)}.mp4`;
}

/** A copy of `render` re-encoded to fit an upload limit, kept beside it so that posting it again encodes nothing. */
export function fittedRenderKey(render: string, limitBytes: number): string {
  return `${render.replace(/\.mp4$/, '')}-fit-${limitBytes}.mp4`;
}

/** The replayable script of a thread's version, as posted by `show code`. */
export function scriptKey(thread: ThreadRef, version: number): string {
  return `${threadDir(thread)}/scripts/cutroom-v${version}.js`;
}

export function previewKey(thread: ThreadRef, requestId: string, name: string): string {
  return `${threadDir(thread)}/previews/${hashOf(requestId)}/${safeFileName(name)}`;
}

function hashOf(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 24);
}
