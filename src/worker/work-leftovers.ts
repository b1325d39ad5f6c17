/**
 * @module Removes `work/job-*` folders a crashed worker left behind. Workers on other machines may share the data
 * folder and be using theirs right now, so only folders older than the job deadline go: no job runs that long.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.ts';

export interface SweepWorkLeftoversOptions {
  /** `<CUTROOM_DATA_DIR>/work` */
  workRoot: string;
  /** Folders last changed longer ago than this are abandoned: the job deadline. */
  olderThanMs: number;
  logger: Logger;
  /** @defaultValue Date.now() */
  now?: number;
}

/** Deletes abandoned job folders; returns how many. A missing work folder is not an error. */
export async function sweepWorkLeftovers(options: SweepWorkLeftoversOptions): Promise<number> {
  const now = options.now ?? Date.now();
  const names = await readdir(options.workRoot).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names.filter((n) => n.startsWith('job-'))) {
    const dir = path.join(options.workRoot, name);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory() || now - info.mtimeMs <= options.olderThanMs) continue;
    await rm(dir, { recursive: true, force: true });
    removed += 1;
  }
  if (removed > 0)
    options.logger.info({ removed, workRoot: options.workRoot }, 'removed job folders left by a crash');
  return removed;
}
