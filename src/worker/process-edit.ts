/** @module The processor behind `cutroom worker`: turns an edit request into versions and deliveries (agent + browser). */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { MediaInspector } from '../agent/inspect-media.ts';
import { LlmClient } from '../agent/llm-client.ts';
import { runEdit } from '../agent/run-edit.ts';
import type { Verdict } from '../agent/verdict.ts';
import type { BrowserPool } from '../browser/browser-pool.ts';
import type { EditSession } from '../browser/types.ts';
import type { Config } from '../config.ts';
import { CutroomError, ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { AssetNormaliser } from '../media/asset-normaliser.ts';
import { pagesFromPool } from '../media/decoder-support.ts';
import { type ArtifactStore, previewKey, requestRenderKey } from '../queue/artifact-store.ts';
import type { ArtifactRef, EditRequest, StoredAsset, Version, VersionStore } from '../queue/types.ts';
import type { EditContext, EditOutcome, EditProcessor } from './edit-processor.ts';

export interface EditProcessorDeps {
  config: Config;
  logger: Logger;
  versions: VersionStore;
  artifacts: ArtifactStore;
  pool: BrowserPool;
  /** @defaultValue built from `config.openai` */
  llm?: LlmClient;
  /** @defaultValue from `config.transcribe`, caching in the artifact store's `inspections/` */
  inspector?: MediaInspector;
  /** Makes clips safe for the page before the agent runs. @defaultValue converts into `artifacts`, asks `pool` */
  normaliser?: AssetNormaliser;
}

/** How long a job waits for a browser session before it is retried later. */
const ACQUIRE_TIMEOUT_MS = 120_000;

export function createEditProcessor(deps: EditProcessorDeps): EditProcessor {
  // One per worker process: its in-memory cache serves every job the worker runs.
  const inspector =
    deps.inspector ??
    MediaInspector.fromConfig(deps.config, {
      cacheDir: path.join(deps.artifacts.root, 'inspections'),
      logger: deps.logger,
    });
  // Also one per process: it remembers which decoder configurations the page decodes.
  const normaliser =
    deps.normaliser ??
    new AssetNormaliser({ root: deps.artifacts.root, pages: pagesFromPool(deps.pool), logger: deps.logger });
  return async function processEdit(request, context) {
    return request.kind === 'undo'
      ? undo(deps, request, context)
      : edit({ ...deps, inspector, normaliser }, request, context);
  };
}

async function undo(
  deps: EditProcessorDeps,
  request: EditRequest,
  context: EditContext,
): Promise<EditOutcome> {
  const before = await deps.versions.list(request.thread);
  // A retry finds the version already dropped; the store's per-request record makes its undo a no-op.
  if (context.attempt === 1 && before.length < 2) {
    throw new CutroomError(ErrorCode.NothingToUndo, `undo: thread has ${before.length} version(s)`, {
      userMessage:
        before.length === 0
          ? 'There is nothing to undo yet.'
          : 'This is the first version; there is nothing before it.',
    });
  }
  const current = await deps.versions.undo(request.thread, { requestId: request.id });
  if (!current?.render) {
    throw new CutroomError(ErrorCode.NoVersion, 'undo: the previous version has no render', {
      userMessage: 'There is no earlier render to go back to.',
    });
  }
  await context.deliver({
    kind: 'result',
    thread: request.thread,
    requestId: request.id,
    file: current.render,
    text: `Back to version ${current.number}. ${current.summary ?? ''}`.trim(),
    version: current.number,
    durationSeconds: current.durationSeconds ?? 0,
  });
  return { version: current.number, summary: current.summary };
}

async function edit(
  deps: EditProcessorDeps & { normaliser: AssetNormaliser },
  request: EditRequest,
  context: EditContext,
): Promise<EditOutcome> {
  const { config, versions, artifacts, pool } = deps;
  const latest = await versions.latest(request.thread);
  // A retried job whose version was already saved only has its delivery left to do.
  if (latest?.requestId === request.id) {
    await deliverResult(request, context, latest);
    return { version: latest.number, summary: latest.summary };
  }
  const merged = mergeAssets(latest?.assets ?? [], request.assets);
  if (merged.length === 0) {
    throw new CutroomError(ErrorCode.NoAssets, 'edit: no clips in the request or the thread', {
      userMessage: 'There is no clip to edit yet: attach a video (or audio/image) file and ask again.',
    });
  }
  const llm = deps.llm ?? LlmClient.fromConfig(config.openai, { logger: context.logger });
  const { stored: assets, ready } = await deps.normaliser.prepare(merged, {
    signal: context.signal,
    onProgress: (converting) => void context.progress({ stage: 'converting', ...converting }).catch(() => {}),
  });

  const workRoot = path.join(config.dataDir, 'work');
  await mkdir(workRoot, { recursive: true });
  const outDir = await mkdtemp(path.join(workRoot, 'job-'));
  const pending: Promise<unknown>[] = [];
  let lastPreview: ArtifactRef | undefined;
  let previews = 0;
  let session: EditSession | undefined;
  try {
    const outcome = await runEdit({
      request: { prompt: request.prompt },
      assets: ready,
      base: latest,
      // A turn that only answers never takes a browser from the pool; runEdit loads the clips into the page itself.
      openSession: async () => {
        await context.progress({ stage: 'editing', text: 'Opening the editor…' });
        session = await pool.acquire({ signal: context.signal, timeoutMs: ACQUIRE_TIMEOUT_MS });
        await context.progress({ stage: 'downloading', text: 'Loading your clips…' });
        return session;
      },
      llm,
      inspector: deps.inspector,
      limits: config.agent,
      outDir,
      signal: context.signal,
      logger: context.logger,
      onProgress: (event) => {
        pending.push(
          context.progress({ stage: event.stage, percent: event.percent, text: event.text }).catch(() => {}),
        );
        if (event.previewPath) {
          const index = ++previews;
          const sheet = event.previewPath;
          pending.push(
            artifacts
              .write(previewKey(request.id, `preview-${index}.jpg`), createReadStream(sheet), {
                name: `preview-${index}.jpg`,
                mimeType: 'image/jpeg',
              })
              .then((file) => {
                lastPreview = file;
                return context.deliver(
                  {
                    kind: 'preview',
                    thread: request.thread,
                    requestId: request.id,
                    file,
                    text: verdictLine(event.verdict),
                  },
                  { key: `${request.id}:preview:${index}` },
                );
              })
              .catch((error) => context.logger.warn({ err: error }, 'could not post a preview')),
          );
        }
      },
    });
    await Promise.all(pending);
    // An answer or a question is not a failure; carrying a question over to the next reply is the thread's work.
    if (outcome.status === 'replied' || outcome.status === 'question') {
      await context.deliver(
        { kind: 'message', thread: request.thread, requestId: request.id, text: outcome.summary },
        { key: `${request.id}:reply` },
      );
      return { summary: outcome.summary };
    }
    if (outcome.status !== 'rendered' || !outcome.renderPath) {
      throw new CutroomError(
        ErrorCode.AgentLimit,
        `edit: agent ended with ${outcome.status} (${outcome.limit ?? 'no limit'})`,
        {
          userMessage: outcome.summary,
        },
      );
    }
    await context.progress({ stage: 'uploading', text: 'Saving the video…' });
    const render = await artifacts.write(
      requestRenderKey(request.thread, request.id),
      createReadStream(outcome.renderPath),
      {
        name: 'cutroom.mp4',
        mimeType: 'video/mp4',
      },
    );
    const version = await versions.append(request.thread, {
      prompt: request.prompt,
      assets,
      script: outcome.script,
      verdicts: outcome.verdicts,
      render,
      preview: lastPreview,
      summary: outcome.summary,
      durationSeconds: outcome.durationSeconds,
      createdAt: Date.now(),
      requestId: request.id,
      requests: outcome.requests,
      usage: outcome.usage,
      outline: outcome.outline,
    });
    await deliverResult(request, context, version);
    return { version: version.number, summary: outcome.summary };
  } finally {
    await Promise.allSettled(pending);
    await session?.release();
    await rm(outDir, { recursive: true, force: true });
  }
}

async function deliverResult(request: EditRequest, context: EditContext, version: Version): Promise<void> {
  if (!version.render) return;
  await context.deliver(
    {
      kind: 'result',
      thread: request.thread,
      requestId: request.id,
      file: version.render,
      text: version.summary ?? '',
      version: version.number,
      durationSeconds: version.durationSeconds ?? 0,
    },
    { key: `${request.id}:result` },
  );
}

/** The thread's clips first (their order is what earlier scripts index), then the new ones, without repeats. */
function mergeAssets(previous: StoredAsset[], added: StoredAsset[]): StoredAsset[] {
  const keys = new Set(previous.map((a) => a.key));
  return [...previous, ...added.filter((a) => !keys.has(a.key))];
}

function verdictLine(verdict: Verdict | undefined): string {
  if (!verdict) return 'Preview';
  if (verdict.verdict === 'approve') return 'Preview: looks right.';
  const first = verdict.issues[0];
  const more = verdict.issues.length > 1 ? ` (+${verdict.issues.length - 1} more)` : '';
  return first
    ? `Preview: fixing ${first.type.replace(/_/g, ' ')}: ${first.description}${more}`
    : 'Preview: revising.';
}
