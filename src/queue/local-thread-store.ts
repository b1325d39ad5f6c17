/** @module A thread's versions and clips kept as JSON files in a local directory (the store behind `cutroom edit`). */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CutroomError, ErrorCode } from '../errors.ts';
import {
  type PendingQuestion,
  type StoredAsset,
  type ThreadRef,
  type ThreadState,
  threadKey,
  type Version,
} from './types.ts';

const VERSION_FILE = /^v(\d{6})\.json$/;
const CLIPS_FILE = 'clips.json';
const QUESTION_FILE = 'question.json';

/**
 * One folder per thread under `root`, one `vNNNNNN.json` per version, `clips.json` and (while the agent waits for an answer) `question.json`. Writes go to a temporary
 * file renamed into place, so a crash never leaves half a version. Undo moves the latest file into `undone/`
 * instead of deleting it. One process at a time: the CLI runs one edit and exits.
 */
export class LocalThreadStore implements ThreadState {
  constructor(readonly root: string) {}

  async latest(thread: ThreadRef): Promise<Version | undefined> {
    return (await this.list(thread)).at(-1);
  }

  async list(thread: ThreadRef): Promise<Version[]> {
    const dir = this.threadDir(thread);
    const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    const files = names.filter((n) => VERSION_FILE.test(n)).sort();
    const versions: Version[] = [];
    for (const name of files) {
      const text = await readFile(path.join(dir, name), 'utf8');
      try {
        versions.push(JSON.parse(text) as Version);
      } catch (error) {
        throw new CutroomError(ErrorCode.Internal, `versions: ${path.join(dir, name)} is not valid JSON`, {
          cause: error,
        });
      }
    }
    return versions;
  }

  async append(thread: ThreadRef, version: Omit<Version, 'number'>): Promise<Version> {
    const dir = this.threadDir(thread);
    await mkdir(dir, { recursive: true });
    const number = ((await this.latest(thread))?.number ?? 0) + 1;
    const full: Version = { ...version, number };
    await writeAtomic(path.join(dir, fileName(number)), `${JSON.stringify(full, null, 2)}\n`);
    return full;
  }

  async undo(thread: ThreadRef): Promise<Version | undefined> {
    const versions = await this.list(thread);
    const last = versions.at(-1);
    if (!last) return undefined;
    const dir = this.threadDir(thread);
    const undoneDir = path.join(dir, 'undone');
    await mkdir(undoneDir, { recursive: true });
    await rename(
      path.join(dir, fileName(last.number)),
      path.join(undoneDir, `v${pad(last.number)}-${Date.now()}.json`),
    );
    return versions.at(-2);
  }

  async clips(thread: ThreadRef): Promise<StoredAsset[]> {
    try {
      return JSON.parse(
        await readFile(path.join(this.threadDir(thread), CLIPS_FILE), 'utf8'),
      ) as StoredAsset[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async addClips(thread: ThreadRef, clips: StoredAsset[]): Promise<StoredAsset[]> {
    return this.saveClips(thread, clips, { replace: false });
  }

  async replaceClips(thread: ThreadRef, clips: StoredAsset[]): Promise<StoredAsset[]> {
    return this.saveClips(thread, clips, { replace: true });
  }

  async pendingQuestion(thread: ThreadRef): Promise<PendingQuestion | undefined> {
    const text = await readFile(path.join(this.threadDir(thread), QUESTION_FILE), 'utf8').catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      },
    );
    return text === undefined ? undefined : (JSON.parse(text) as PendingQuestion);
  }

  async setPendingQuestion(thread: ThreadRef, question: PendingQuestion | undefined): Promise<void> {
    const file = path.join(this.threadDir(thread), QUESTION_FILE);
    if (!question) {
      await rm(file, { force: true });
      return;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeAtomic(file, `${JSON.stringify(question)}\n`);
  }

  private async saveClips(
    thread: ThreadRef,
    clips: StoredAsset[],
    options: { replace: boolean },
  ): Promise<StoredAsset[]> {
    const all = await this.clips(thread);
    for (const clip of clips) {
      const at = all.findIndex((c) => c.key === clip.key);
      if (at < 0) all.push(clip);
      else if (options.replace) all[at] = clip;
    }
    const dir = this.threadDir(thread);
    await mkdir(dir, { recursive: true });
    await writeAtomic(path.join(dir, CLIPS_FILE), `${JSON.stringify(all, null, 2)}\n`);
    return all;
  }

  /** The folder of one thread. */
  threadDir(thread: ThreadRef): string {
    return path.join(this.root, threadKey(thread).replace(/[^A-Za-z0-9._-]/g, '_'));
  }
}

function fileName(number: number): string {
  return `v${pad(number)}.json`;
}

function pad(number: number): string {
  return String(number).padStart(6, '0');
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}
