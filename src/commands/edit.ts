/**
 * @module `cutroom edit`: the worker's own edit processor on local files, with the thread's versions and
 * files in a local state directory and its deliveries printed to the terminal.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MediaInspector } from '../agent/inspect-media.ts';
import { createBrowserPool } from '../browser/create-browser-pool.ts';
import { localAsset } from '../browser/local-asset.ts';
import { loadConfig } from '../config.ts';
import { CutroomError, ErrorCode } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { ArtifactStore, uploadKey } from '../queue/artifact-store.ts';
import { LocalThreadStore } from '../queue/local-thread-store.ts';
import type { EditRequest, StoredAsset, ThreadRef } from '../queue/types.ts';
import { createEditProcessor } from '../worker/edit-processor.ts';
import { createJobContext, failureDelivery } from '../worker/job-context.ts';
import { TerminalDeliveries } from './terminal-deliveries.ts';

export interface EditCommandOptions {
  input: string[];
  prompt?: string;
  out: string;
  previews?: string;
  continue?: boolean;
  undo?: boolean;
  state?: string;
}

export async function edit(
  opts: EditCommandOptions,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = {
    out: process.stdout,
    err: process.stderr,
  },
): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, pretty: true });
  const stateDir = path.resolve(opts.state ?? path.join(config.dataDir, 'local'));
  const threads = new LocalThreadStore(stateDir);
  const artifacts = new ArtifactStore({ root: path.join(stateDir, 'artifacts') });
  const fresh = !opts.continue && !opts.undo;
  const thread = await currentThread(stateDir, { fresh });
  const latest = await threads.latest(thread);
  const prompt = opts.prompt?.trim() ?? '';
  if (!opts.undo && !prompt) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      'edit: --prompt is required (what should be done with the clips?)',
    );
  }
  const question = opts.continue ? await threads.pendingQuestion(thread) : undefined;
  if (opts.continue && !latest && !question) {
    throw new CutroomError(
      ErrorCode.NoVersion,
      `edit: --continue: no version in ${stateDir} yet; run without it first`,
    );
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  const pool = createBrowserPool(config, logger, { size: 0 });
  const terminal = new TerminalDeliveries({
    ...io,
    artifacts,
    outFile: opts.out,
    previewsDir: opts.previews,
  });
  try {
    const id = `cli:${randomUUID()}`;
    const assets = await storeInputs(artifacts, thread, id, opts.input, controller.signal);
    const request: EditRequest = {
      id,
      thread,
      user: { id: 'local' },
      kind: opts.undo ? 'undo' : 'edit',
      prompt,
      assets,
      receivedAt: Date.now(),
    };
    if (!opts.undo) {
      const clips = (await threads.clips(thread)).length + assets.length;
      io.out.write(
        `Editing ${clips} file(s): "${prompt}"${continuing(latest?.number, question !== undefined)}\n`,
      );
    }
    const inspector = MediaInspector.fromConfig(config, {
      cacheDir: path.join(stateDir, 'inspections'),
      logger,
    });
    const processor = createEditProcessor({ config, logger, threads, artifacts, pool, inspector });
    const context = createJobContext({
      request,
      deliveries: terminal,
      signal: controller.signal,
      jobId: id,
      attempt: 1,
      logger,
    });
    try {
      const { usage } = await processor(request, context);
      if (usage) {
        io.out.write(
          `(${usage.steps} steps, ${usage.llmCalls} AI calls, ${usage.promptTokens + usage.completionTokens} tokens)\n`,
        );
      }
    } catch (error) {
      // What the worker does with a job that failed for good: the reason, where the user looks.
      await terminal.enqueue(failureDelivery(request, error));
    }
    const previews = terminal.previewsLine();
    if (previews) io.out.write(`${previews}\n`);
    if (terminal.failed) process.exitCode = 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    await pool.close();
  }
}

function continuing(version: number | undefined, answering: boolean): string {
  if (answering) return ' (answering the question)';
  return version ? ` (continuing version ${version})` : '';
}

/**
 * The local thread `--continue` and `--undo` work in. A run without them starts a new one, as a new
 * chat thread would; a state directory from before threads were kept per run has only `default`.
 */
async function currentThread(stateDir: string, options: { fresh: boolean }): Promise<ThreadRef> {
  const pointer = path.join(stateDir, 'current-thread');
  let threadId = 'default';
  if (options.fresh) {
    threadId = `run-${Date.now().toString(36)}`;
    await mkdir(stateDir, { recursive: true });
    await writeFile(pointer, `${threadId}\n`);
  } else {
    threadId = (await readFile(pointer, 'utf8').catch(() => threadId)).trim();
  }
  return { platform: 'cli', channelId: 'local', threadId };
}

/** Probes each input and copies it into the thread's files, so later versions replay it even if the original moves. */
async function storeInputs(
  artifacts: ArtifactStore,
  thread: ThreadRef,
  requestId: string,
  inputs: string[],
  signal: AbortSignal,
): Promise<StoredAsset[]> {
  const stored: StoredAsset[] = [];
  for (const [index, input] of inputs.entries()) {
    const { path: file, key: _key, ...probed } = await localAsset(input, { signal });
    const ref = await artifacts.write(
      uploadKey(thread, requestId, index, probed.name),
      createReadStream(file),
      {
        name: probed.name,
        mimeType: probed.mimeType,
        signal,
      },
    );
    stored.push({ ...probed, ...ref });
  }
  return stored;
}
