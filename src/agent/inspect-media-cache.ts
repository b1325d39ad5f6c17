/**
 * @module Keeps inspect_media results by file content: in memory for this process, and as JSON files in a
 * directory (the artifact store for workers, the state directory for the CLI), so a follow-up in the thread, a
 * retried job or another worker sharing the store costs nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface InspectMediaCacheOptions {
  /** Unset: memory only. */
  dir?: string;
}

export class InspectMediaCache {
  private readonly memory = new Map<string, unknown>();
  /** path → its content hash, valid while size and modification time stay the same. */
  private readonly hashes = new Map<string, { size: number; mtimeMs: number; hash: Promise<string> }>();

  constructor(private readonly options: InspectMediaCacheOptions = {}) {}

  /** SHA-256 of the file's bytes, hex; read once per file version in this process. */
  async contentHash(filePath: string): Promise<string> {
    const { size, mtimeMs } = await stat(filePath);
    const known = this.hashes.get(filePath);
    if (known && known.size === size && known.mtimeMs === mtimeMs) return known.hash;
    const hash = hashFile(filePath);
    this.hashes.set(filePath, { size, mtimeMs, hash });
    hash.catch(() => this.hashes.delete(filePath));
    return hash;
  }

  async get<T>(key: string): Promise<T | undefined> {
    if (this.memory.has(key)) return this.memory.get(key) as T;
    if (!this.options.dir) return undefined;
    try {
      const value = JSON.parse(await readFile(this.fileFor(key), 'utf8')) as T;
      this.memory.set(key, value);
      return value;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A file another process is writing never shows half-written (rename), so unreadable means absent or stale.
      if (code === 'ENOENT' || error instanceof SyntaxError) return undefined;
      throw error;
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    this.memory.set(key, value);
    if (!this.options.dir) return;
    const file = this.fileFor(key);
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.partial-${randomBytes(6).toString('hex')}`;
    try {
      await writeFile(temp, JSON.stringify(value));
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  private fileFor(key: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(key))
      throw new TypeError(`cache key ${JSON.stringify(key)} is invalid`);
    return path.join(this.options.dir as string, `${key}.json`);
  }
}

function hashFile(filePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(filePath, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
