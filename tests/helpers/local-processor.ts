/**
 * @module Test and bench helper: the worker's real edit processor on local state (a LocalThreadStore, an artifact
 * store and a browser pool in a temporary directory), talking to an OpenAI-compatible fake. Runs one request at a
 * time the way a worker would, and tells what it delivered and whether it opened the editor.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LlmClient } from '../../src/agent/llm-client.ts';
import type { BrowserPool } from '../../src/browser/browser-pool.ts';
import { createBrowserPool } from '../../src/browser/create-browser-pool.ts';
import { loadConfig } from '../../src/config.ts';
import type { Delivery } from '../../src/deliveries/types.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { ArtifactStore } from '../../src/queue/artifact-store.ts';
import { LocalThreadStore } from '../../src/queue/local-thread-store.ts';
import type { EditRequest, StoredAsset } from '../../src/queue/types.ts';
import { createEditProcessor } from '../../src/worker/edit-processor.ts';
import { createJobContext } from '../../src/worker/job-context.ts';
import type { JobOutcome, JobProgress } from '../../src/worker/job-processor.ts';

/** The progress line the processor shows when it takes a browser session from the pool. */
const OPENING_THE_EDITOR = 'Opening the editor…';

export interface ProcessedRequest {
  outcome: JobOutcome;
  delivered: Delivery[];
  progress: JobProgress[];
  /** Whether the request took a browser session from the pool. */
  openedEditor: boolean;
  ms: number;
}

export interface LocalProcessor {
  threads: LocalThreadStore;
  artifacts: ArtifactStore;
  pool: BrowserPool;
  /** Stores a clip as an earlier job left it: already playable, so the normaliser asks the browser nothing. */
  addPlayableClip(
    bytes: Buffer,
    picture: { duration: number; width: number; height: number },
  ): Promise<StoredAsset>;
  run(request: EditRequest): Promise<ProcessedRequest>;
  /** Closes the pool and deletes the directory. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the processor with a pool of `poolSize` local Chromium sessions (0: a request that needed one would fail)
 * and the model `agent` (vision: `vision`) at `llmBaseURL` (unset: a request that needed a model would fail).
 */
export async function startLocalProcessor(options: {
  llmBaseURL?: string;
  poolSize: number;
}): Promise<LocalProcessor> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-local-processor-'));
  const config = loadConfig({ CUTROOM_DATA_DIR: path.join(dir, 'data') }, { readDotenv: false });
  const logger = createSilentLogger();
  const threads = new LocalThreadStore(path.join(dir, 'threads'));
  const artifacts = new ArtifactStore({ root: path.join(dir, 'artifacts') });
  const pool = createBrowserPool(config, logger, { size: options.poolSize });
  const processor = createEditProcessor({
    config,
    logger,
    threads,
    artifacts,
    pool,
    llm:
      options.llmBaseURL === undefined
        ? undefined
        : new LlmClient({
            apiKey: 'sk-local-processor',
            baseURL: options.llmBaseURL,
            model: 'agent',
            visionModel: 'vision',
          }),
  });
  let clips = 0;
  let closing: Promise<void> | undefined;
  return {
    threads,
    artifacts,
    pool,
    async addPlayableClip(bytes, picture) {
      clips += 1;
      const file = await artifacts.write(`uploads/clip-${clips}.mp4`, bytes, {
        name: `clip-${clips}.mp4`,
        mimeType: 'video/mp4',
      });
      return { ...file, kind: 'video', hasAudio: true, ...picture, playable: file };
    },
    async run(request) {
      const delivered: Delivery[] = [];
      const progress: JobProgress[] = [];
      const started = performance.now();
      const outcome = await processor(
        request,
        createJobContext({
          request,
          deliveries: { enqueue: async (d) => void delivered.push(d) },
          signal: new AbortController().signal,
          jobId: request.id,
          attempt: 1,
          logger,
          onProgress: async (p) => void progress.push(p),
        }),
      );
      return {
        outcome,
        delivered,
        progress,
        openedEditor: progress.some((p) => p.text === OPENING_THE_EDITOR),
        ms: performance.now() - started,
      };
    },
    close() {
      closing ??= (async () => {
        await pool.close();
        await rm(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
