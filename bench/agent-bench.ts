/**
 * @module Agent benchmark with the OpenAI-compatible fake answering at once: the agent's own overhead per step (tool
 * execution and bookkeeping between an LLM answer and the next LLM request), and request → first preview sheet for a
 * 10 s 720p clip.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DocsSearch } from '../src/agent/docs-search.ts';
import { LlmClient } from '../src/agent/llm-client.ts';
import { runEdit } from '../src/agent/run-edit.ts';
import { BrowserPool } from '../src/browser/browser-pool.ts';
import { LocalBrowserProvider } from '../src/browser/browser-provider.ts';
import { localAsset } from '../src/browser/local-asset.ts';
import { createSilentLogger } from '../src/logger.ts';
import {
  OpenAiFakeServer,
  textReply,
  toolCallReply,
  verdictReply,
} from '../tests/fakes/openai-fake-server.ts';
import { MediaFixtures } from '../tests/helpers/media-fixtures.ts';
import { median, percentile, printTable } from './stats.ts';

const REPEATS = 3;
const STEPS_PER_TOOL = 8;
const LIMITS = { maxSteps: 200, maxLlmCalls: 400, maxTokens: 100_000_000, maxWallMs: 600_000 };
const TITLE_CODE = `const v = assets[0];
const main = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
await main.add(new core.VideoClip(v.source, { range: [0, v.duration] }));
const texts = await composition.add(new core.Layer());
await texts.add(new core.TextClip({ text: 'Launch day', position: 'center', duration: v.duration, font: { family: 'DejaVu Sans', size: 72 }, color: '#ffffff' }));`;

export async function runAgentBench(): Promise<Record<string, number>> {
  const logger = createSilentLogger();
  const media = await MediaFixtures.create();
  const outRoot = await mkdtemp(path.join(tmpdir(), 'cutroom-agent-bench-'));
  const fake = await OpenAiFakeServer.start();
  const pool = new BrowserPool({ provider: new LocalBrowserProvider({ logger }), size: 1, logger });
  try {
    const clip = await localAsset(
      await media.clip('clip-10s-720p.mp4', { seconds: 10, width: 1280, height: 720 }),
    );
    const llm = new LlmClient({
      apiKey: 'bench',
      baseURL: fake.baseURL,
      model: 'agent',
      visionModel: 'vision',
    });
    const docs = DocsSearch.fromFile();
    await pool.warmUp();

    // Per-step overhead: a run of search_docs steps, then of trivial run_code steps, measured from the fake's clock.
    const gaps: Record<string, number[]> = { search_docs: [], run_code: [] };
    for (const tool of ['search_docs', 'run_code'] as const) {
      const args =
        tool === 'search_docs'
          ? { query: 'fade out the music' }
          : { code: 'console.log(composition.duration);' };
      fake.reset();
      for (let i = 0; i < STEPS_PER_TOOL; i++) fake.enqueueFor('agent', toolCallReply(tool, args));
      fake.enqueueFor('agent', textReply('done'));
      const first = fake.requests.length;
      const session = await pool.acquire();
      try {
        await runEdit({
          request: { prompt: 'bench' },
          assets: [clip],
          openSession: async () => session,
          llm,
          docs,
          limits: LIMITS,
          outDir: path.join(outRoot, tool),
          logger,
        });
      } finally {
        await session.release();
      }
      const chats = fake.requests.slice(first).filter((r) => r.path === '/v1/chat/completions');
      for (let i = 1; i < chats.length; i++) gaps[tool].push(chats[i].receivedAt - chats[i - 1].answeredAt);
    }

    // Request → first preview sheet: acquire a warm session, load, one code action, sample, write the sheet.
    const toPreview: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      fake.reset();
      fake.enqueueFor(
        'agent',
        toolCallReply('run_code', { code: TITLE_CODE }),
        toolCallReply('visual_feedback', {}),
      );
      fake.enqueueFor('agent', textReply('stopping here'));
      fake.enqueueFor('vision', verdictReply('revise', [{ type: 'other', at: null, description: 'bench' }]));
      fake.setFallback(verdictReply('revise'));
      const started = performance.now();
      let previewAt: number | undefined;
      const session = await pool.acquire();
      try {
        await runEdit({
          request: { prompt: 'add a title' },
          assets: [clip],
          openSession: async () => session,
          llm,
          docs,
          limits: { ...LIMITS, maxSteps: 2 },
          outDir: path.join(outRoot, `preview-${i}`),
          logger,
          onProgress: (e) => {
            if (e.previewPath && previewAt === undefined) previewAt = performance.now();
          },
        });
      } finally {
        await session.release();
      }
      if (previewAt !== undefined) toPreview.push(previewAt - started);
    }

    const figures = {
      searchDocsStepOverheadMedianMs: round(median(gaps.search_docs)),
      searchDocsStepOverheadP95Ms: round(percentile(gaps.search_docs, 95)),
      runCodeStepOverheadMedianMs: round(median(gaps.run_code)),
      runCodeStepOverheadP95Ms: round(percentile(gaps.run_code, 95)),
      requestToFirstPreviewMedianMs: round(median(toPreview)),
      requestToFirstPreviewMaxMs: round(Math.max(...toPreview)),
    };
    printTable('agent (LLM fake answering at once)', [
      [
        'step overhead, search_docs (median / p95)',
        `${figures.searchDocsStepOverheadMedianMs} / ${figures.searchDocsStepOverheadP95Ms} ms`,
      ],
      [
        'step overhead, trivial run_code (median / p95)',
        `${figures.runCodeStepOverheadMedianMs} / ${figures.runCodeStepOverheadP95Ms} ms`,
      ],
      [
        'request → first preview sheet, 10 s 720p, warm pool (median / max)',
        `${figures.requestToFirstPreviewMedianMs} / ${figures.requestToFirstPreviewMaxMs} ms`,
      ],
    ]);
    return figures;
  } finally {
    await pool.close();
    await fake.close();
    await media.close();
    await rm(outRoot, { recursive: true, force: true });
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runAgentBench();
}
