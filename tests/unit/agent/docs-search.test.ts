import { afterEach, describe, expect, it } from 'vitest';
import { DocsSearch, formatDocHits, splitDocSections } from '../../../src/agent/docs-search.ts';
import { LlmClient } from '../../../src/agent/llm-client.ts';
import { OpenAiFakeServer } from '../../fakes/openai-fake-server.ts';
import { DOCS_EVAL_SET } from './docs-search-eval-set.ts';

function recallAt3(search: (query: string) => Promise<string[]> | string[]) {
  return async () => {
    let found = 0;
    for (const c of DOCS_EVAL_SET) if ((await search(c.query)).includes(c.expected)) found += 1;
    return found / DOCS_EVAL_SET.length;
  };
}

describe('DocsSearch over llm.txt', () => {
  let fake: OpenAiFakeServer | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('names an existing section for every evaluation question', () => {
    const ids = new Set(DocsSearch.fromFile().sections.map((s) => s.id));
    expect(DOCS_EVAL_SET.length).toBeGreaterThanOrEqual(20);
    for (const c of DOCS_EVAL_SET) expect(ids, c.query).toContain(c.expected);
  });

  it('reaches recall@3 of at least 0.9 with BM25 alone', async () => {
    const docs = DocsSearch.fromFile();
    const recall = await recallAt3((q) => docs.searchBm25(q, 3).map((h) => h.id))();
    expect(recall).toBeGreaterThanOrEqual(0.9);
  });

  it('fuses embeddings from an OpenAI-compatible endpoint and keeps recall@3 at least 0.9', async () => {
    fake = await OpenAiFakeServer.start();
    const llm = new LlmClient({
      apiKey: 'k',
      baseURL: fake.baseURL,
      model: 'm',
      visionModel: 'm',
      embeddingModel: 'e',
    });
    const docs = DocsSearch.fromFile(undefined, { embedder: (texts, o) => llm.embed(texts, o) });
    const recall = await recallAt3(async (q) => (await docs.search(q)).map((h) => h.id))();
    expect(recall).toBeGreaterThanOrEqual(0.9);
    const embeddingCalls = fake.requests.filter((r) => r.path === '/v1/embeddings');
    // Sections are embedded once, then one call per query.
    expect(embeddingCalls).toHaveLength(1 + DOCS_EVAL_SET.length);
  });

  it('falls back to BM25 when the embeddings endpoint fails', async () => {
    fake = await OpenAiFakeServer.start();
    fake.failNext({ status: 500, times: Number.POSITIVE_INFINITY, path: '/v1/embeddings' });
    const llm = new LlmClient({
      apiKey: 'k',
      baseURL: fake.baseURL,
      model: 'm',
      visionModel: 'm',
      embeddingModel: 'e',
      maxRetries: 0,
    });
    const docs = DocsSearch.fromFile(undefined, { embedder: (texts, o) => llm.embed(texts, o) });
    const hits = await docs.search('fade out the music at the end');
    expect(hits.map((h) => h.id)).toEqual(docs.searchBm25('fade out the music at the end').map((h) => h.id));
  });

  it('splits markdown into sections by level-two headings, ignoring the preamble', () => {
    const sections = splitDocSections('# Title\nintro\n## First one\nbody 1\n## Second: two!\nbody 2\n');
    expect(sections).toEqual([
      { id: 'first-one', title: 'First one', text: 'body 1' },
      { id: 'second-two', title: 'Second: two!', text: 'body 2' },
    ]);
  });

  it('formats hits with their titles and says so when nothing matches', () => {
    const docs = DocsSearch.fromFile();
    expect(formatDocHits(docs.searchBm25('letterbox', 1))).toMatch(/^## /);
    expect(formatDocHits([])).toContain('No matching');
  });
});
