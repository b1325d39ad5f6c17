/**
 * @module Whether the operator page can decode a track, asked of a real page (`VideoDecoder.isConfigSupported` /
 * `AudioDecoder.isConfigSupported`) once per distinct decoder configuration and Chromium version, then remembered
 * for the life of the process.
 *
 * The cache does not hold a page: a miss borrows one (a pool session, or the session a caller already has), asks,
 * and gives it back, so the decision never depends on an agent's session being open. Answers are filed under the
 * version of the browser that gave them; a page from a browser of another version asks again.
 */
import type { CodecProbe, CodecSupport } from '../../operator-ui/src/protocol.ts';

/** What asking needs of an operator page (a `PageEditSession` is one). */
export interface DecoderQueryPage {
  codecSupport(probes: CodecProbe[], options?: { signal?: AbortSignal }): Promise<CodecSupport[]>;
  readonly currentPage: { context(): { browser(): { version(): string } | null } };
}

/** Lends a page for one question. */
export type LendPage = <T>(
  use: (page: DecoderQueryPage) => Promise<T>,
  options: { signal?: AbortSignal },
) => Promise<T>;

/** Pages from a pool: acquired for the question, released after. */
export function pagesFromPool(pool: {
  acquire(options?: { signal?: AbortSignal }): Promise<DecoderQueryPage & { release(): Promise<void> }>;
}): LendPage {
  return async function lendPoolPage(use, options) {
    const session = await pool.acquire({ signal: options.signal });
    try {
      return await use(session);
    } finally {
      await session.release();
    }
  };
}

/** The one page a caller already holds (the CLI's session): used, never released. */
export function pagesFromSession(session: DecoderQueryPage): LendPage {
  return function lendSession(use) {
    return use(session);
  };
}

export class DecoderSupport {
  /** browser version → decoder configuration key → decodes */
  private readonly answers = new Map<string, Map<string, boolean>>();
  private latestVersion?: string;
  /** Misses are asked one batch at a time, so two jobs meeting the same new clip ask once. */
  private asking: Promise<unknown> = Promise.resolve();

  constructor(private readonly lendPage: LendPage) {}

  /** For each probe, whether the page decodes it. */
  async decodes(probes: CodecProbe[], options: { signal?: AbortSignal } = {}): Promise<boolean[]> {
    const known = this.lookUp(probes);
    if (known.every((answer) => answer !== undefined)) return known as boolean[];
    const run = this.asking.then(() => this.ask(probes, options));
    this.asking = run.catch(() => {});
    return run;
  }

  private lookUp(probes: CodecProbe[]): (boolean | undefined)[] {
    const table = this.latestVersion === undefined ? undefined : this.answers.get(this.latestVersion);
    return probes.map((probe) => table?.get(configKey(probe)));
  }

  private async ask(probes: CodecProbe[], options: { signal?: AbortSignal }): Promise<boolean[]> {
    const known = this.lookUp(probes);
    if (known.every((answer) => answer !== undefined)) return known as boolean[];
    return this.lendPage(async (page) => {
      const version = page.currentPage.context().browser()?.version() ?? 'unknown';
      this.latestVersion = version;
      const table = this.answers.get(version) ?? new Map<string, boolean>();
      this.answers.set(version, table);
      const missing = probes.filter((probe) => !table.has(configKey(probe)));
      if (missing.length > 0) {
        const support = await page.codecSupport(missing, { signal: options.signal });
        for (const [i, probe] of missing.entries()) table.set(configKey(probe), support[i]?.decode === true);
      }
      return probes.map((probe) => table.get(configKey(probe)) === true);
    }, options);
  }
}

/** What can change the answer: the codec string and the picture or sound format. The setup bytes vary per file but
 * only restate what the codec string says (profile, level, bit depth). */
function configKey(probe: CodecProbe): string {
  const { codedWidth, codedHeight, sampleRate, numberOfChannels } = probe.config ?? {};
  return [probe.kind, probe.codec, codedWidth, codedHeight, sampleRate, numberOfChannels].join('|');
}
