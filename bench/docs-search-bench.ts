/**
 * @module search_docs benchmark: recall@3 on the evaluation set for BM25 alone and hybrid, and query latency. Hybrid
 * uses the configured embeddings endpoint when CUTROOM_EMBEDDING_MODEL is set, else the OpenAI fake's hashed
 * bag-of-words embeddings (a stand-in that shows the fusion works, not a model's quality).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DocsSearch } from '../src/agent/docs-search.ts';
import { LlmClient } from '../src/agent/llm-client.ts';
import { loadConfig } from '../src/config.ts';
import { OpenAiFakeServer } from '../tests/fakes/openai-fake-server.ts';
import { DOCS_EVAL_SET } from '../tests/unit/agent/docs-search-eval-set.ts';
import { median, printTable } from './stats.ts';

export async function runDocsSearchBench(): Promise<Record<string, number | string>> {
  const config = loadConfig();
  const fake = config.openai.embeddingModel ? undefined : await OpenAiFakeServer.start();
  try {
    const llm = fake
      ? new LlmClient({
          apiKey: 'bench',
          baseURL: fake.baseURL,
          model: 'm',
          visionModel: 'm',
          embeddingModel: 'hashed',
        })
      : LlmClient.fromConfig(config.openai);
    const bm25 = DocsSearch.fromFile();
    const hybrid = DocsSearch.fromFile(undefined, { embedder: (texts, o) => llm.embed(texts, o) });

    const bm25Times: number[] = [];
    const hybridTimes: number[] = [];
    let bm25Hits = 0;
    let hybridHits = 0;
    await hybrid.search('warm up the section embeddings');
    for (const { query, expected } of DOCS_EVAL_SET) {
      let start = performance.now();
      if (bm25.searchBm25(query, 3).some((h) => h.id === expected)) bm25Hits += 1;
      bm25Times.push(performance.now() - start);
      start = performance.now();
      if ((await hybrid.search(query, { limit: 3 })).some((h) => h.id === expected)) hybridHits += 1;
      hybridTimes.push(performance.now() - start);
    }
    const figures = {
      questions: DOCS_EVAL_SET.length,
      sections: bm25.sections.length,
      bm25RecallAt3: round(bm25Hits / DOCS_EVAL_SET.length, 3),
      hybridRecallAt3: round(hybridHits / DOCS_EVAL_SET.length, 3),
      embeddings: fake ? 'fake hashed bag-of-words' : String(config.openai.embeddingModel),
      bm25QueryMedianMs: round(median(bm25Times), 3),
      hybridQueryMedianMs: round(median(hybridTimes), 3),
    };
    printTable('search_docs (llm.txt)', [
      ['evaluation questions / sections', `${figures.questions} / ${figures.sections}`],
      ['recall@3, BM25 alone', String(figures.bm25RecallAt3)],
      [`recall@3, hybrid (${figures.embeddings})`, String(figures.hybridRecallAt3)],
      [
        'query time, BM25 / hybrid (median)',
        `${figures.bm25QueryMedianMs} / ${figures.hybridQueryMedianMs} ms`,
      ],
    ]);
    return figures;
  } finally {
    await fake?.close();
  }
}

function round(n: number, digits: number): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runDocsSearchBench();
}
