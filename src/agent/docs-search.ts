/** @module search_docs: ranked sections of llm.txt, BM25+ (minisearch) fused with embeddings by reciprocal rank. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import MiniSearch from 'minisearch';
import type { Logger } from '../logger.ts';

/** One `## ` section of llm.txt. */
export interface DocSection {
  /** Slug of the heading, e.g. `trim-a-clip-keep-one-part`. */
  id: string;
  title: string;
  /** The section's body, code included. */
  text: string;
}

export interface DocHit extends DocSection {
  score: number;
}

/** Embeds texts (an OpenAI-compatible embeddings endpoint in production). */
export type Embedder = (texts: string[], options: { signal?: AbortSignal }) => Promise<number[][]>;

export interface DocsSearchOptions {
  /** When set, results fuse BM25 with embedding similarity. */
  embedder?: Embedder;
  logger?: Logger;
  /** Reciprocal rank fusion constant: higher flattens the rank curve. @defaultValue 60 */
  rrfK?: number;
}

export interface DocsSearchQueryOptions {
  /** @defaultValue 3 */
  limit?: number;
  /** `bm25` skips embeddings even when an embedder is set. @defaultValue 'hybrid' */
  mode?: 'bm25' | 'hybrid';
  signal?: AbortSignal;
}

export const DEFAULT_DOCS_PATH = fileURLToPath(new URL('../../llm.txt', import.meta.url));

const STOP_WORDS = new Set(
  'a an and are as at be by can do does for from how i in into is it its me my of on or so that the this to with you your make want please'.split(
    ' ',
  ),
);

// Light stemming so "fades"/"fading"/"faded" meet "fade"; BM25 does the ranking.
function processTerm(term: string): string | null {
  const t = term.toLowerCase();
  if (t.length < 2 || STOP_WORDS.has(t)) return null;
  return t
    .replace(/(?<=\w{3})(ies)$/, 'y')
    .replace(/(?<=\w{3})(ing|ed)$/, '')
    .replace(/(?<=\w{3})(es|s)$/, '')
    .replace(/(?<=\w{2})e$/, '');
}

/** Splits llm.txt into its `## ` sections (the text before the first one is not a section). */
export function splitDocSections(markdown: string): DocSection[] {
  const sections: DocSection[] = [];
  const parts = markdown.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    const title = part.slice(0, newline === -1 ? undefined : newline).trim();
    const text = newline === -1 ? '' : part.slice(newline + 1).trim();
    sections.push({ id: slugify(title), title, text });
  }
  return sections;
}

export function slugify(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export class DocsSearch {
  readonly sections: DocSection[];
  private readonly index: MiniSearch<DocSection>;
  private readonly embedder?: Embedder;
  private readonly logger?: Logger;
  private readonly rrfK: number;
  private sectionVectors?: Promise<number[][]>;

  constructor(sections: DocSection[], options: DocsSearchOptions = {}) {
    this.sections = sections;
    this.embedder = options.embedder;
    this.logger = options.logger;
    this.rrfK = options.rrfK ?? 60;
    this.index = new MiniSearch<DocSection>({
      fields: ['title', 'text'],
      storeFields: ['id'],
      processTerm,
      searchOptions: { boost: { title: 3 }, prefix: true, fuzzy: 0.15 },
    });
    this.index.addAll(sections);
  }

  /** Reads and indexes llm.txt (the repo's copy by default). */
  static fromFile(path: string = DEFAULT_DOCS_PATH, options: DocsSearchOptions = {}): DocsSearch {
    return new DocsSearch(splitDocSections(readFileSync(path, 'utf8')), options);
  }

  /** BM25+ alone, synchronous. */
  searchBm25(query: string, limit = 3): DocHit[] {
    return this.bm25Ranking(query)
      .slice(0, limit)
      .map(({ index, score }) => ({ ...this.sections[index], score }));
  }

  /**
   * Hybrid when an embedder is set: BM25+ and cosine rankings fused by reciprocal rank. If the embeddings endpoint
   * fails, the search degrades to BM25 alone rather than failing the agent's step.
   */
  async search(query: string, options: DocsSearchQueryOptions = {}): Promise<DocHit[]> {
    const limit = options.limit ?? 3;
    if (!this.embedder || options.mode === 'bm25') return this.searchBm25(query, limit);
    let dense: number[];
    try {
      dense = await this.denseRanking(query, options.signal);
    } catch (error) {
      this.sectionVectors = undefined;
      if (options.signal?.aborted) throw error;
      this.logger?.warn({ err: error }, 'docs search: embeddings failed, using BM25 alone');
      return this.searchBm25(query, limit);
    }
    const fused = new Map<number, number>();
    for (const [rank, { index }] of this.bm25Ranking(query).entries()) {
      fused.set(index, (fused.get(index) ?? 0) + 1 / (this.rrfK + rank + 1));
    }
    for (const [rank, index] of dense.entries()) {
      fused.set(index, (fused.get(index) ?? 0) + 1 / (this.rrfK + rank + 1));
    }
    return [...fused.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([index, score]) => ({ ...this.sections[index], score }));
  }

  private bm25Ranking(query: string): Array<{ index: number; score: number }> {
    const byId = new Map(this.sections.map((s, i) => [s.id, i]));
    return this.index
      .search(query, { combineWith: 'OR' })
      .map((r) => ({ index: byId.get(String(r.id)) ?? -1, score: r.score }))
      .filter((r) => r.index >= 0);
  }

  private async denseRanking(query: string, signal?: AbortSignal): Promise<number[]> {
    const embedder = this.embedder!;
    this.sectionVectors ??= embedder(
      this.sections.map((s) => `${s.title}\n${s.text}`),
      { signal },
    );
    const [vectors, [queryVector]] = await Promise.all([this.sectionVectors, embedder([query], { signal })]);
    return vectors
      .map((v, index) => ({ index, score: cosine(v, queryVector) }))
      .sort((a, b) => b.score - a.score)
      .map((r) => r.index);
  }
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/** The text returned to the model for a search: each hit's title and body, best first. */
export function formatDocHits(hits: DocHit[], maxCharsPerHit = 3000): string {
  if (hits.length === 0) return 'No matching documentation sections. Try other words.';
  return hits
    .map((h) => {
      const body = h.text.length > maxCharsPerHit ? `${h.text.slice(0, maxCharsPerHit)}\n[…]` : h.text;
      return `## ${h.title}\n${body}`;
    })
    .join('\n\n');
}
