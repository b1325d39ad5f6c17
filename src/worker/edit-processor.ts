/**
 * @module The job processor behind `cutroom worker` and `cutroom edit`: turns an edit request into a
 * thread version (agent + browser) and its deliveries, or into the agent's answer or question without
 * one, and an undo into the version before.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { type AgentConversation, parseAgentConversation } from '../agent/agent-conversation.ts';
import { MediaInspector } from '../agent/inspect-media.ts';
import { LlmClient } from '../agent/llm-client.ts';
import { type EditOutcome, runEdit } from '../agent/run-edit.ts';
import type { Verdict } from '../agent/verdict.ts';
import type { BrowserPool } from '../browser/browser-pool.ts';
import type { EditSession } from '../browser/types.ts';
import type { Config } from '../config.ts';
import { CutroomError, ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { AssetNormaliser, type ReadyAsset } from '../media/asset-normaliser.ts';
import { pagesFromPool } from '../media/decoder-support.ts';
import { type ArtifactStore, previewKey, renderKey } from '../queue/artifact-store.ts';
import type { RateLimiter } from '../queue/rate-limiter.ts';
import type {
  ArtifactRef,
  EditRequest,
  MoveResult,
  ThreadState,
  Version,
  VersionMove,
} from '../queue/types.ts';
import { fitRender } from './fit-render.ts';
import type { JobContext, JobOutcome, JobProcessor } from './job-processor.ts';

export interface EditProcessorDeps {
  config: Config;
  logger: Logger;
  /** The thread's versions and clips (Redis for chat, files for `cutroom edit`). */
  threads: ThreadState;
  artifacts: ArtifactStore;
  pool: BrowserPool;
  /** @defaultValue built from `config.openai` */
  llm?: LlmClient;
  /** @defaultValue from `config.transcribe`, caching in the artifact store's `inspections/` */
  inspector?: MediaInspector;
  /** Makes clips safe for the page before the agent runs. @defaultValue converts into `artifacts`, asks `pool` */
  normaliser?: AssetNormaliser;
  /**
   * The request limits the bot charged an edit against: a request the agent only answered (no version) gets its
   * charge back, so a question or a thank-you costs one LLM call and nothing of the user's limit. Absent: no limits.
   */
  rateLimiter?: Pick<RateLimiter, 'refund'>;
}

/** How long a job waits for a browser session before it is retried later. */
const ACQUIRE_TIMEOUT_MS = 120_000;

export function createEditProcessor(deps: EditProcessorDeps): JobProcessor {
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
    return request.kind === 'edit'
      ? edit({ ...deps, inspector, normaliser }, request, context)
      : moveVersion(deps, request, context);
  };
}

/** What a refused move tells the user. */
const MOVE_REFUSALS: Record<Extract<MoveResult, { moved: false }>['reason'], string> = {
  no_versions: 'There is no version in this thread yet.',
  nothing_before: 'This is the first version; there is nothing before it.',
  nothing_to_redo: 'There is nothing to redo: nothing was undone since the last change.',
  no_such_version: 'This thread has no such version. Say `versions` to see them.',
};

/**
 * Moves the thread's current version (undo, redo, go back to N) and posts that version's render again. An Undo
 * button of an older version goes back to the version that one was made from, not one before the current.
 */
async function moveVersion(
  deps: EditProcessorDeps,
  request: EditRequest,
  context: JobContext,
): Promise<JobOutcome> {
  const move = await moveOf(deps.threads, request);
  const result = await deps.threads.move(request.thread, move, { requestId: request.id });
  if (!result.moved) {
    const code =
      result.reason === 'nothing_to_redo' || result.reason === 'no_such_version'
        ? ErrorCode.NoVersion
        : ErrorCode.NothingToUndo;
    throw new CutroomError(code, `${request.kind}: ${result.reason}`, {
      userMessage: MOVE_REFUSALS[result.reason],
    });
  }
  const current = result.version;
  if (!current.render) {
    throw new CutroomError(ErrorCode.NoVersion, `${request.kind}: version ${current.number} has no render`, {
      userMessage: 'That version has no render to show.',
    });
  }
  const said =
    request.kind === 'redo' ? `Version ${current.number} again.` : `Back to version ${current.number}.`;
  await deliverVersion(deps, request, context, current, `${said} ${current.summary ?? ''}`);
  return { version: current.number, summary: current.summary };
}

async function moveOf(threads: ThreadState, request: EditRequest): Promise<VersionMove> {
  if (request.kind === 'redo') return { kind: 'redo' };
  if (request.kind === 'goto') return { kind: 'goto', number: request.version ?? 0 };
  if (request.version === undefined) return { kind: 'undo' };
  const [current, versions] = await Promise.all([
    threads.latest(request.thread),
    threads.list(request.thread),
  ]);
  if (current?.number === request.version) return { kind: 'undo' };
  const pressed = versions.findIndex((v) => v.number === request.version);
  const parent = versions[pressed]?.basedOn ?? versions[pressed - 1]?.number;
  if (parent === undefined) {
    throw new CutroomError(ErrorCode.NothingToUndo, `undo: version ${request.version} has none before it`, {
      userMessage: MOVE_REFUSALS.nothing_before,
    });
  }
  return { kind: 'goto', number: parent };
}

async function edit(
  deps: EditProcessorDeps & { normaliser: AssetNormaliser },
  request: EditRequest,
  context: JobContext,
): Promise<JobOutcome> {
  const { threads } = deps;
  const latest = await threads.latest(request.thread);
  // A retried job whose version was already saved only has its delivery left to do.
  if (latest?.requestId === request.id) {
    await deliverVersion(deps, request, context, latest, latest.summary ?? '');
    return { version: latest.number, summary: latest.summary };
  }
  // The thread's clips first (their order is what earlier scripts index), then this request's new ones.
  const clips = await threads.addClips(request.thread, request.assets);
  if (clips.length === 0) {
    throw new CutroomError(ErrorCode.NoAssets, 'edit: no clips in the request or the thread', {
      userMessage: 'There is no clip to edit yet: attach a video (or audio/image) file and ask again.',
    });
  }
  // What the page can load: clips it decodes as they are, converted copies of the rest (made once, kept).
  const { stored, ready } = await deps.normaliser.prepare(clips, {
    signal: context.signal,
    onProgress: (converting) => void context.progress({ stage: 'converting', ...converting }).catch(() => {}),
  });
  // The thread keeps what was learnt (the playable copy, the display size): the next request checks nothing again.
  await threads.replaceClips(request.thread, stored);
  // A question the agent asked before: this message answers it, and that run goes on.
  const pending = await threads.pendingQuestion(request.thread);
  const resume = pending ? parseAgentConversation(pending.conversation) : undefined;
  const { outcome, render, preview } = await runAgent(deps, request, context, ready, latest, resume);
  if (!render) {
    await threads.setPendingQuestion(
      request.thread,
      outcome.status === 'question' && outcome.conversation
        ? { requestId: request.id, conversation: outcome.conversation }
        : undefined,
    );
    await context.deliver(
      {
        kind: 'reply',
        thread: request.thread,
        requestId: request.id,
        text: outcome.summary,
        question: outcome.status === 'question',
      },
      { key: `${request.id}:reply` },
    );
    await deps.rateLimiter?.refund({
      thread: request.thread,
      userId: request.user.id,
      requestId: request.id,
    });
    return { summary: outcome.summary, usage: outcome.usage };
  }
  const version = await threads.append(request.thread, {
    prompt: request.prompt,
    assets: stored,
    script: outcome.script,
    verdicts: outcome.verdicts,
    render,
    preview,
    summary: outcome.summary,
    durationSeconds: outcome.durationSeconds,
    createdAt: Date.now(),
    requestId: request.id,
    requests: outcome.requests,
    usage: outcome.usage,
    outline: outcome.outline,
    basedOn: latest?.number,
  });
  if (pending) await threads.setPendingQuestion(request.thread, undefined);
  await deliverVersion(deps, request, context, version, outcome.summary);
  return { version: version.number, summary: outcome.summary, usage: outcome.usage };
}

/**
 * Runs the agent, taking a browser session from the pool only when the agent first needs the page
 * (an answer without an edit never does), posting each preview sheet as it is made, and stores its
 * render. An answer or a question comes back without a render.
 * @throws CutroomError agent_limit with the agent's summary when it stopped without a render or an answer.
 */
async function runAgent(
  deps: EditProcessorDeps,
  request: EditRequest,
  context: JobContext,
  clips: ReadyAsset[],
  base: Version | undefined,
  resume: AgentConversation | undefined,
): Promise<{ outcome: EditOutcome; render?: ArtifactRef; preview?: ArtifactRef }> {
  const { config, artifacts, pool } = deps;
  const llm = deps.llm ?? LlmClient.fromConfig(config.openai, { logger: context.logger });
  const workRoot = path.join(config.dataDir, 'work');
  await mkdir(workRoot, { recursive: true });
  const outDir = await mkdtemp(path.join(workRoot, 'job-'));
  const previews = new PreviewPoster(artifacts, request, context);
  let session: EditSession | undefined;
  try {
    const outcome = await runEdit({
      request: { prompt: request.prompt },
      assets: clips,
      base,
      resume,
      // runEdit loads the clips into the page as soon as it has one.
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
        previews.track(context.progress({ stage: event.stage, percent: event.percent, text: event.text }));
        if (event.previewPath) previews.post(event.previewPath, event.verdict);
      },
    });
    await previews.settled();
    if (outcome.status === 'replied' || outcome.status === 'question') return { outcome };
    if (outcome.status !== 'rendered' || !outcome.renderPath) {
      throw new CutroomError(
        ErrorCode.AgentLimit,
        `edit: agent ended with ${outcome.status} (${outcome.limit ?? 'no limit'})`,
        { userMessage: outcome.summary },
      );
    }
    await context.progress({ stage: 'uploading', text: 'Saving the video…' });
    const render = await artifacts.write(
      renderKey(request.thread, request.id),
      createReadStream(outcome.renderPath),
      { name: 'cutroom.mp4', mimeType: 'video/mp4' },
    );
    return { outcome, render, preview: previews.last };
  } finally {
    await previews.settled();
    await session?.release();
    await rm(outDir, { recursive: true, force: true });
  }
}

/** Stores each preview sheet and posts it with its verdict, without holding up the agent. */
class PreviewPoster {
  last?: ArtifactRef;
  private count = 0;
  private readonly pending: Promise<unknown>[] = [];

  constructor(
    private readonly artifacts: ArtifactStore,
    private readonly request: EditRequest,
    private readonly context: JobContext,
  ) {}

  track(work: Promise<unknown>): void {
    this.pending.push(work.catch(() => {}));
  }

  post(sheetPath: string, verdict: Verdict | undefined): void {
    const index = ++this.count;
    const { request, context } = this;
    const name = `preview-${index}.jpg`;
    this.track(
      this.artifacts
        .write(previewKey(request.thread, request.id, name), createReadStream(sheetPath), {
          name,
          mimeType: 'image/jpeg',
        })
        .then((file) => {
          this.last = file;
          return context.deliver(
            {
              kind: 'preview',
              thread: request.thread,
              requestId: request.id,
              file,
              text: verdictLine(verdict),
            },
            { key: `${request.id}:preview:${index}` },
          );
        })
        .catch((error) => context.logger.warn({ err: error }, 'could not post a preview')),
    );
  }

  async settled(): Promise<void> {
    await Promise.allSettled(this.pending);
  }
}

/** Posts a version's render: as it is, or a copy that fits the request's upload limit. */
async function deliverVersion(
  deps: EditProcessorDeps,
  request: EditRequest,
  context: JobContext,
  version: Version,
  text: string,
): Promise<void> {
  if (!version.render) return;
  const { file, note } = await fitRender({
    artifacts: deps.artifacts,
    render: version.render,
    limitBytes: request.uploadLimitBytes,
    durationSeconds: version.durationSeconds,
    workDir: path.join(deps.config.dataDir, 'work'),
    signal: context.signal,
  });
  await context.deliver(
    {
      kind: 'result',
      thread: request.thread,
      requestId: request.id,
      file,
      text: text.trim(),
      version: version.number,
      durationSeconds: version.durationSeconds ?? 0,
      note,
    },
    { key: `${request.id}:result` },
  );
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
