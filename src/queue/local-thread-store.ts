/** @module A thread's versions and clips kept as JSON files in a local directory (the store behind `cutroom edit`). */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CutroomError, ErrorCode } from '../errors.ts';
import {
  type MoveResult,
  type PendingQuestion,
  type StoredAsset,
  type ThreadRef,
  type ThreadState,
  threadKey,
  type Version,
  type VersionMove,
} from './types.ts';

const VERSION_FILE = /^v(\d{6})\.json$/;
const CLIPS_FILE = 'clips.json';
const QUESTION_FILE = 'question.json';
const TRAIL_FILE = 'trail.json';

/** Which version is current (the trail's last), what can be redone, and what each request's move answered. */
interface Trail {
  trail: number[];
  redo: number[];
  moves: Record<string, number>;
}

/**
 * One folder per thread under `root`, one `vNNNNNN.json` per version, `clips.json`, `trail.json` (which version
 * is current) and (while the agent waits for an answer) `question.json`. Writes go to a temporary file renamed
 * into place, so a crash never leaves half a version. Versions are never deleted: undo, redo and go-back move the
 * current one. One process at a time: the CLI runs one edit and exits.
 */
export class LocalThreadStore implements ThreadState {
  constructor(readonly root: string) {}

  async latest(thread: ThreadRef): Promise<Version | undefined> {
    const versions = await this.list(thread);
    const current = (await this.readTrail(thread, versions)).trail.at(-1);
    return versions.find((v) => v.number === current);
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
    const versions = await this.list(thread);
    const trail = await this.readTrail(thread, versions);
    const number = Math.max(0, ...versions.map((v) => v.number)) + 1;
    const full: Version = { ...version, number };
    await writeAtomic(path.join(dir, fileName(number)), `${JSON.stringify(full, null, 2)}\n`);
    await this.writeTrail(thread, { ...trail, trail: [...trail.trail, number], redo: [] });
    return full;
  }

  async move(
    thread: ThreadRef,
    move: VersionMove,
    options: { requestId?: string } = {},
  ): Promise<MoveResult> {
    const versions = await this.list(thread);
    const state = await this.readTrail(thread, versions);
    const answered = options.requestId ? state.moves[options.requestId] : undefined;
    const byNumber = (n: number | undefined) => versions.find((v) => v.number === n);
    if (answered !== undefined && byNumber(answered))
      return { moved: true, version: byNumber(answered) as Version };
    if (versions.length === 0) return { moved: false, reason: 'no_versions' };
    const trail = [...state.trail];
    let redo = [...state.redo];
    if (move.kind === 'undo') {
      if (trail.length < 2) return { moved: false, reason: 'nothing_before' };
      redo.push(trail.pop() as number);
    } else if (move.kind === 'redo') {
      const next = redo.pop();
      if (next === undefined) return { moved: false, reason: 'nothing_to_redo' };
      trail.push(next);
    } else {
      if (!byNumber(move.number)) return { moved: false, reason: 'no_such_version' };
      if (trail.at(-1) !== move.number) {
        trail.push(move.number);
        redo = [];
      }
    }
    const version = byNumber(trail.at(-1)) as Version;
    const moves = options.requestId ? { ...state.moves, [options.requestId]: version.number } : state.moves;
    await this.writeTrail(thread, { trail, redo, moves });
    return { moved: true, version };
  }

  /** The thread's trail; a thread from before trails counts every version in order, the last current. */
  private async readTrail(thread: ThreadRef, versions: Version[]): Promise<Trail> {
    const text = await readFile(path.join(this.threadDir(thread), TRAIL_FILE), 'utf8').catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      },
    );
    if (text !== undefined) return JSON.parse(text) as Trail;
    return { trail: versions.map((v) => v.number), redo: [], moves: {} };
  }

  private async writeTrail(thread: ThreadRef, trail: Trail): Promise<void> {
    await writeAtomic(path.join(this.threadDir(thread), TRAIL_FILE), `${JSON.stringify(trail)}\n`);
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
