/** @module `cutroom edit`: the whole agent on local files, with versions kept in a local state directory. */
import { constants } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type AgentConversation, parseAgentConversation } from '../agent/agent-conversation.ts';
import type { AgentProgress } from '../agent/agent-progress.ts';
import { MediaInspector } from '../agent/inspect-media.ts';
import { LlmClient } from '../agent/llm-client.ts';
import { LocalVersionStore } from '../agent/local-version-store.ts';
import { runEdit } from '../agent/run-edit.ts';
import { createBrowserPool } from '../browser/create-browser-pool.ts';
import { localAsset } from '../browser/local-asset.ts';
import type { EditSession, LoadableAsset } from '../browser/types.ts';
import { loadConfig } from '../config.ts';
import { CutroomError, ErrorCode } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { AssetNormaliser } from '../media/asset-normaliser.ts';
import { pagesFromPool } from '../media/decoder-support.ts';
import type { StoredAsset, ThreadRef, Version } from '../queue/types.ts';

export interface EditCommandOptions {
  input: string[];
  prompt?: string;
  out: string;
  previews?: string;
  continue?: boolean;
  undo?: boolean;
  state?: string;
}

/** The one local "thread" whose versions `--continue` and `--undo` move through. */
const LOCAL_THREAD: ThreadRef = { platform: 'cli', channelId: 'local', threadId: 'default' };

export async function edit(
  opts: EditCommandOptions,
  io: { out: NodeJS.WritableStream } = { out: process.stdout },
): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, pretty: true });
  const stateDir = path.resolve(opts.state ?? path.join(config.dataDir, 'local'));
  const store = new LocalVersionStore(stateDir);
  const threadDir = store.threadDir(LOCAL_THREAD);
  const say = (line: string) => io.out.write(`${line}\n`);

  if (opts.undo) {
    const before = await store.list(LOCAL_THREAD);
    if (before.length === 0) {
      throw new CutroomError(ErrorCode.NothingToUndo, `edit --undo: no versions in ${stateDir}`, {
        userMessage: 'There is nothing to undo.',
      });
    }
    const now = await store.undo(LOCAL_THREAD);
    if (!now) {
      say(`Undid version ${before.at(-1)?.number}; no versions left.`);
      return;
    }
    say(`Back to version ${now.number}: "${now.prompt}"`);
    if (now.render) {
      await exportFile(path.join(threadDir, now.render.key), opts.out);
      say(`MP4: ${path.resolve(opts.out)}`);
    }
    return;
  }

  const prompt = opts.prompt?.trim();
  if (!prompt) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      'edit: --prompt is required (what should be done with the clips?)',
    );
  }
  const questionFile = path.join(threadDir, 'question.json');
  const question = opts.continue ? await readQuestion(questionFile) : undefined;
  const base = opts.continue ? await store.latest(LOCAL_THREAD) : undefined;
  if (opts.continue && !base && !question) {
    throw new CutroomError(
      ErrorCode.NoVersion,
      `edit: --continue: no version in ${stateDir} yet; run without it first`,
    );
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);

  const newAssets: LoadableAsset[] = [];
  for (const input of opts.input) newAssets.push(await keepAsset(threadDir, await localAsset(input)));
  const assets = [
    ...(question?.assets ?? base?.assets ?? []).map((a) => ({ ...a, path: path.join(threadDir, a.key) })),
    ...newAssets,
  ];
  if (assets.length === 0) {
    throw new CutroomError(ErrorCode.NoAssets, 'edit: give at least one --input clip', {
      userMessage: 'Please attach at least one clip.',
    });
  }

  const llm = LlmClient.fromConfig(config.openai, { logger });
  const pool = createBrowserPool(config, logger, { size: 0 });
  const outDir = path.join(threadDir, 'runs', String(Date.now()));
  let session: EditSession | undefined;
  try {
    const { ready } = await new AssetNormaliser({
      root: threadDir,
      pages: pagesFromPool(pool),
      logger,
    }).prepare(assets, {
      signal: controller.signal,
      onProgress: (p) => say(`Converting ${p.text}… ${p.percent}%`),
      progressStepPercent: 25,
    });
    const startedAt = Date.now();
    const continuing = question
      ? ' (answering the question)'
      : base
        ? ` (continuing version ${base.number})`
        : '';
    say(`Editing ${assets.length} file(s): "${prompt}"${continuing}`);
    const outcome = await runEdit({
      request: { prompt },
      assets: ready,
      base,
      resume: question?.conversation,
      openSession: async () => {
        session = await pool.acquire({ signal: controller.signal });
        return session;
      },
      llm,
      limits: config.agent,
      outDir,
      inspector: MediaInspector.fromConfig(config, {
        cacheDir: path.join(stateDir, 'inspections'),
        logger,
      }),
      onProgress: (event) => {
        // Every percent is too chatty for a terminal log; tens are enough.
        if (event.stage === 'rendering' && event.percent !== undefined && event.percent % 10 !== 0) return;
        say(formatProgress(event, Date.now() - startedAt));
      },
      signal: controller.signal,
      logger,
    });
    const { usage } = outcome;
    say(
      `${outcome.summary}\n(${usage.steps} steps, ${usage.llmCalls} AI calls, ${usage.promptTokens + usage.completionTokens} tokens)`,
    );
    const sheet = outcome.previewPaths.at(-1);
    if (opts.previews && outcome.previewPaths.length > 0) {
      await mkdir(opts.previews, { recursive: true });
      for (const preview of outcome.previewPaths) {
        await copyFile(preview, path.join(opts.previews, path.basename(preview)));
      }
      say(`Preview sheets: ${path.resolve(opts.previews)}`);
    } else if (sheet) {
      say(`Preview sheet: ${sheet}`);
    }
    await rm(questionFile, { force: true });
    if (outcome.status === 'question' && outcome.conversation) {
      const pending: PendingQuestion = {
        conversation: outcome.conversation,
        assets: ready.map(({ path: _path, ...stored }) => stored),
      };
      await writeFile(questionFile, `${JSON.stringify(pending)}\n`);
      say('Answer with: cutroom edit --continue --prompt "…"');
      return;
    }
    if (outcome.status === 'replied') return;
    if (outcome.status !== 'rendered' || !outcome.renderPath) {
      process.exitCode = 1;
      return;
    }
    await exportFile(outcome.renderPath, opts.out);
    const version = await store.append(LOCAL_THREAD, toVersion(prompt, ready, outcome, threadDir));
    say(
      `MP4: ${path.resolve(opts.out)} (version ${version.number}, ${outcome.durationSeconds?.toFixed(1)} s)`,
    );
  } finally {
    process.removeListener('SIGINT', onSignal);
    await session?.release();
    await pool.close();
  }
}

function toVersion(
  prompt: string,
  assets: LoadableAsset[],
  outcome: Awaited<ReturnType<typeof runEdit>>,
  threadDir: string,
): Omit<Version, 'number'> {
  const rel = (file: string) => path.relative(threadDir, file);
  const artifact = (file: string, mimeType: string, size: number) => ({
    key: rel(file),
    name: path.basename(file),
    mimeType,
    size,
  });
  const preview = outcome.previewPaths.at(-1);
  return {
    prompt,
    assets: assets.map(({ path: _path, ...stored }) => stored),
    script: outcome.script,
    verdicts: outcome.verdicts,
    render: outcome.render ? artifact(outcome.render.path, 'video/mp4', outcome.render.bytes) : undefined,
    preview: preview ? artifact(preview, 'image/jpeg', 0) : undefined,
    summary: outcome.summary,
    durationSeconds: outcome.durationSeconds,
    createdAt: Date.now(),
    requests: outcome.requests,
    usage: outcome.usage,
    outline: outcome.outline,
  };
}

/** A question the agent asked in the last run: `--continue` answers it. */
interface PendingQuestion {
  conversation: AgentConversation;
  assets: StoredAsset[];
}

async function readQuestion(file: string): Promise<PendingQuestion | undefined> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  const data = JSON.parse(text) as { conversation: unknown; assets: StoredAsset[] };
  return { conversation: parseAgentConversation(data.conversation), assets: data.assets };
}

/** Copies an input into the state directory so later versions can replay it even if the original moves. */
async function keepAsset(threadDir: string, asset: LoadableAsset): Promise<LoadableAsset> {
  const dir = path.join(threadDir, 'assets');
  await mkdir(dir, { recursive: true });
  const key = path.join('assets', `${Date.now()}-${asset.name}`);
  await copyFile(asset.path, path.join(threadDir, key), constants.COPYFILE_FICLONE);
  const stored: StoredAsset = { ...asset, key };
  return { ...stored, path: path.join(threadDir, key) };
}

async function exportFile(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(to)), { recursive: true });
  await copyFile(from, to);
}

function formatProgress(event: AgentProgress, elapsedMs: number): string {
  const clock = `[${(elapsedMs / 1000).toFixed(1).padStart(5)} s]`;
  const where = event.previewPath ? ` → ${event.previewPath}` : '';
  return `${clock} ${event.text}${where}`;
}
