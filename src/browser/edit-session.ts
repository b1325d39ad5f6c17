/** @module One job's browser page with the operator loaded: the page driver for code actions, sampling and the page's part of a render. */
import { randomUUID } from 'node:crypto';
import { transform } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import type {
  AssetDescriptor,
  CodeActionResult,
  CodecProbe,
  CodecSupport,
  InspectedFields,
  OperatorApi,
  RenderResponse,
} from '../../operator-ui/src/protocol.ts';
import { BrowserClosedError, CancelledError, CutroomError, ErrorCode, TimeoutError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { DownloadInbox } from './download-inbox.ts';
import { OPERATOR_ORIGIN, type PageRouter } from './page-router.ts';
import { waitOnPage } from './page-wait.ts';
import { finishRender } from './render-finishing.ts';
import type {
  CodeResult,
  EditSession,
  LoadableAsset,
  RenderOptions,
  RenderResult,
  SampleOptions,
  SampleResult,
  WaitOptions,
} from './types.ts';

export interface EditSessionTimeouts {
  /** Loading the operator page and assets. @defaultValue 30000 */
  loadTimeoutMs: number;
  /** One code action. @defaultValue 30000 */
  codeTimeoutMs: number;
  /** Sampling previews. @defaultValue 60000 */
  sampleTimeoutMs: number;
  /** One render, finishing included. @defaultValue 600000 */
  renderTimeoutMs: number;
}

export const DEFAULT_SESSION_TIMEOUTS: EditSessionTimeouts = {
  loadTimeoutMs: 30_000,
  codeTimeoutMs: 30_000,
  sampleTimeoutMs: 60_000,
  renderTimeoutMs: 600_000,
};

export interface PageEditSessionOptions {
  context: BrowserContext;
  router: PageRouter;
  logger: Logger;
  licenseKey?: string;
  /** The memory cap each page runs under, for messages. */
  memoryMb?: number;
  timeouts?: Partial<EditSessionTimeouts>;
  /** Called once when the session is released or its context dies. */
  onRelease?: () => void;
}

type OperatorWindow = { __cutroom: OperatorApi };

/** How long a cancelled render may take to stop before its page is thrown away. */
const CANCEL_GRACE_MS = 5_000;

export class PageEditSession implements EditSession {
  readonly id = randomUUID();
  private page!: Page;
  private readonly assets: LoadableAsset[] = [];
  private readonly descriptors: AssetDescriptor[] = [];
  /** Successful code actions, in order: what a replacement page replays. */
  private readonly script: string[] = [];
  private readonly timeouts: EditSessionTimeouts;
  private releasing?: Promise<void>;
  private readonly downloads: DownloadInbox;
  /** The current page's main frame navigated after the operator loaded: the page is lost. */
  private leftPage = false;

  private constructor(private readonly options: PageEditSessionOptions) {
    this.timeouts = { ...DEFAULT_SESSION_TIMEOUTS, ...options.timeouts };
    this.downloads = new DownloadInbox(options.logger);
  }

  /** Opens the operator page in the context (whose routes the router already serves). */
  static async open(options: PageEditSessionOptions, wait: WaitOptions = {}): Promise<PageEditSession> {
    const session = new PageEditSession(options);
    await session.openPage(wait);
    return session;
  }

  get currentPage(): Page {
    return this.page;
  }

  async loadAssets(assets: LoadableAsset[], options: WaitOptions = {}): Promise<void> {
    const descriptors = assets.map((asset) => ({
      name: asset.name,
      url: this.options.router.addAsset(asset.path, asset.name),
      mimeType: asset.mimeType,
      kind: asset.kind,
      duration: asset.duration,
      width: asset.width,
      height: asset.height,
      hasAudio: asset.hasAudio,
      inspected: asset.inspected,
    }));
    await this.call('loadAssets', descriptors, {
      timeoutMs: options.timeoutMs ?? this.timeouts.loadTimeoutMs,
      signal: options.signal,
    });
    this.assets.push(...assets);
    this.descriptors.push(...descriptors);
  }

  async runCode(code: string, options: WaitOptions = {}): Promise<CodeResult> {
    const syntaxError = await checkSyntax(code);
    if (syntaxError) return { ...(await this.summaryResult()), ok: false, error: syntaxError };
    const timeoutMs = options.timeoutMs ?? this.timeouts.codeTimeoutMs;
    try {
      const result = await this.call('runCode', code, { timeoutMs, signal: options.signal });
      if (result.ok) this.script.push(code);
      // Memory the action stashed away may still be held: a fresh page starts from the actions that succeeded.
      if (!result.ok && isOutOfMemory(result.error)) return await this.restoredAfter('OutOfMemory', options);
      return result;
    } catch (error) {
      if (!(error instanceof TimeoutError) && !isPageLoss(error)) throw error;
      // With the whole browser gone there is nothing to rebuild on: the job retries on another session.
      if (!this.browserAlive()) throw toBrowserClosed(error, 'runCode');
      if (error instanceof TimeoutError) return this.restoredAfter('TimeoutError', { ...options, timeoutMs });
      return this.restoredAfter(this.leftPage ? 'PageLeft' : 'PageCrash', options);
    }
  }

  /** Replaces a page that cannot be trusted, rebuilt from the actions that succeeded, and says why in the result. */
  private async restoredAfter(
    failure: 'TimeoutError' | 'OutOfMemory' | 'PageLeft' | 'PageCrash',
    options: WaitOptions,
  ): Promise<CodeResult> {
    await this.replacePage(options.signal);
    const limit = this.options.memoryMb ? ` (a page may use about ${this.options.memoryMb} MB)` : '';
    const reason = {
      TimeoutError: `the code action did not finish within ${options.timeoutMs} ms (an endless loop?)`,
      OutOfMemory: `the edit used too much memory${limit}`,
      // A page's renderer ends this way when it runs out of memory; generated code has no other way to crash it.
      PageCrash: `the edit used too much memory${limit} and the page crashed`,
      PageLeft:
        'the code action tried to leave the editor page (a navigation or reload), which is not allowed',
    }[failure];
    return {
      ...(await this.summaryResult()),
      ok: false,
      error: {
        name: failure,
        message: `${reason}; the page was replaced and the composition restored to its state before this action`,
      },
    };
  }

  async sample(options: SampleOptions = {}): Promise<SampleResult> {
    const summary = await this.summaryResult();
    if (summary.duration <= 0) {
      throw new CutroomError(ErrorCode.CompositionEmpty, 'sample: the composition is empty', {
        userMessage: 'There is nothing in the edit yet to preview.',
      });
    }
    const fps = options.fps ?? 1;
    const times = options.times ?? sampleTimes(summary.duration, fps);
    const width = options.width ?? 640;
    const response = await this.call(
      'sample',
      { times, width, quality: 0.8 },
      {
        timeoutMs: options.timeoutMs ?? this.timeouts.sampleTimeoutMs,
        signal: options.signal,
      },
    ).catch((error) => {
      if (error instanceof CutroomError) throw error;
      throw new CutroomError(ErrorCode.SamplingFailed, `sample: ${(error as Error).message}`, {
        cause: error,
      });
    });
    return {
      frames: response.frames.map((f) => ({ time: f.time, jpeg: Buffer.from(f.jpegBase64, 'base64') })),
      sheet: Buffer.from(response.sheetBase64, 'base64'),
      width: response.width,
      height: response.height,
    };
  }

  async render(options: RenderOptions): Promise<RenderResult> {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? this.timeouts.renderTimeoutMs;
    const waitBudget = { timeoutMs: this.timeouts.loadTimeoutMs, signal: options.signal };
    const summary = await this.call('summary', undefined, waitBudget);
    if (summary.duration <= 0 || summary.clips === 0) {
      throw new CutroomError(ErrorCode.CompositionEmpty, 'render: the composition is empty', {
        userMessage: 'There is nothing to render yet: the edit has no clips.',
      });
    }
    const { segments } = await this.call('audioPlan', undefined, waitBudget);
    const result = await finishRender({
      ...options,
      segments,
      assetPaths: this.assets.map((asset) => asset.path),
      durationSeconds: summary.duration,
      stem: `${options.outPath}.${this.id.slice(0, 8)}`,
      timeoutMs,
      renderVideo: (rawPath, withAudio) => this.renderVideo(rawPath, withAudio, timeoutMs, options),
    });
    return { ...result, elapsedMs: Math.round(performance.now() - started) };
  }

  /** Encodes the composition in the page; the MP4 arrives in `rawPath` as a download once core has written it. */
  private async renderVideo(
    rawPath: string,
    withAudio: boolean,
    timeoutMs: number,
    options: RenderOptions,
  ): Promise<void> {
    const token = randomUUID();
    const fileName = `${token}.mp4`;
    const download = this.downloads.expect(fileName);
    let percent = 0;
    const channel = this.options.router.openRenderChannel(token, {
      saved: () => download.saveTo(rawPath, this.timeouts.loadTimeoutMs),
      progress: (report) => {
        const p = report as { progress?: number; total?: number } | null;
        if (p?.total) {
          percent = Math.min(98, Math.round((100 * (p.progress ?? 0)) / p.total));
          options.onProgress?.({ percent, stage: 'encoding' });
        }
      },
    });
    let response: RenderResponse;
    try {
      response = await this.call(
        'render',
        {
          audio: withAudio,
          fileName,
          savedUrl: channel.savedUrl,
          progressUrl: channel.progressUrl,
          fps: options.fps ?? 30,
          videoBitrate: options.videoBitrate ?? 5_000_000,
          licenseKey: this.options.licenseKey,
        },
        { timeoutMs, signal: options.signal, what: () => `render at ${percent}%` },
      );
    } catch (error) {
      await this.abandonRender();
      throw error instanceof TimeoutError
        ? new CutroomError(ErrorCode.RenderTimeout, error.message, {
            userMessage: 'Rendering took too long and was stopped.',
            retryable: true,
          })
        : error;
    } finally {
      channel.close();
      download.close();
    }
    if (response.ok) return;
    // core's audio worklet keeps spinning after a failed render: never reuse that page.
    await this.abandonRender();
    if (response.cancelled) throw new CancelledError('render cancelled');
    if (response.error?.name === 'EmptyComposition') {
      throw new CutroomError(ErrorCode.CompositionEmpty, 'render: the composition is empty', {
        userMessage: 'There is nothing to render yet: the edit has no clips.',
      });
    }
    const { name, message } = response.error ?? { name: 'Error', message: 'unknown' };
    throw new CutroomError(ErrorCode.RenderFailed, `render failed in the page (${name}): ${message}`, {
      userMessage: 'Rendering failed inside the video engine.',
      retryable: true,
    });
  }

  async setInspection(asset: number, fields: InspectedFields, options: WaitOptions = {}): Promise<void> {
    await this.call(
      'setInspection',
      { asset, fields },
      {
        timeoutMs: options.timeoutMs ?? this.timeouts.loadTimeoutMs,
        signal: options.signal,
      },
    );
    // A replacement page loads the descriptors again: it must see the fields too.
    this.descriptors[asset].inspected = fields;
  }

  /** Which WebCodecs encoders and decoders the page's browser has. */
  codecSupport(probes: CodecProbe[], options: WaitOptions = {}): Promise<CodecSupport[]> {
    return this.call('codecSupport', probes, {
      timeoutMs: options.timeoutMs ?? this.timeouts.loadTimeoutMs,
      signal: options.signal,
    });
  }

  /** The successful code actions so far. */
  get history(): readonly string[] {
    return this.script;
  }

  release(): Promise<void> {
    this.releasing ??= (async () => {
      try {
        await this.options.context.close();
      } catch {
        // Already gone with its browser: nothing left to close.
      } finally {
        this.options.onRelease?.();
      }
    })();
    return this.releasing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  private browserAlive(): boolean {
    return this.options.context.browser()?.isConnected() ?? false;
  }

  private async openPage(wait: WaitOptions): Promise<void> {
    const page = await this.options.context.newPage().catch((error: Error) => {
      throw toBrowserClosed(error, 'open operator page');
    });
    this.page = page;
    this.downloads.watch(page);
    page.on('pageerror', (error) => this.options.logger.debug({ err: error.message }, 'operator page error'));
    const timeoutMs = wait.timeoutMs ?? this.timeouts.loadTimeoutMs;
    await waitOnPage(
      (async () => {
        await page.goto(`${OPERATOR_ORIGIN}/`, { timeout: timeoutMs });
        await page.waitForFunction(() => '__cutroom' in window, undefined, { timeout: timeoutMs });
        this.leftPage = false;
        page.on('framenavigated', (frame) => {
          if (frame === page.mainFrame()) this.leftPage = true;
        });
      })(),
      { page, what: 'open operator page', timeoutMs, signal: wait.signal },
    );
  }

  /** Replaces the page and rebuilds its state from the loaded assets and successful actions. */
  private async replacePage(signal?: AbortSignal): Promise<void> {
    const old = this.page;
    await Promise.race([old.close({ runBeforeUnload: false }).catch(() => {}), delay(CANCEL_GRACE_MS)]);
    await this.openPage({ signal });
    if (this.descriptors.length > 0) {
      await this.call('loadAssets', this.descriptors, {
        timeoutMs: this.timeouts.loadTimeoutMs,
        signal,
      });
    }
    if (this.script.length > 0) {
      const result = await this.call('replay', this.script, {
        timeoutMs: this.timeouts.codeTimeoutMs * this.script.length,
        signal,
      });
      if (!result.ok)
        throw new CutroomError(ErrorCode.Internal, `replay after page loss failed: ${result.error?.message}`);
    }
  }

  private async abandonRender(): Promise<void> {
    await this.page
      .evaluate(() => (window as unknown as OperatorWindow).__cutroom.cancelRender())
      .catch(() => {});
    if (this.options.context.pages().length === 0 && this.page.isClosed()) return;
    await this.replacePage().catch((error) =>
      this.options.logger.warn(
        { err: (error as Error).message },
        'could not replace the page after a failed render',
      ),
    );
  }

  private async summaryResult(): Promise<CodeActionResult> {
    const summary = await this.call('summary', undefined, {
      timeoutMs: this.timeouts.loadTimeoutMs,
    });
    return { ok: true, logs: [], outline: summary.outline, duration: summary.duration };
  }

  private async call<M extends keyof OperatorApi>(
    method: M,
    arg: Parameters<OperatorApi[M]>[0],
    options: { timeoutMs: number; signal?: AbortSignal; what?: () => string },
  ): Promise<Awaited<ReturnType<OperatorApi[M]>>> {
    if (options.signal?.aborted) throw new CancelledError(`${method}: cancelled`);
    const page = this.page;
    const work = page
      .evaluate(
        ({ method: m, arg: a }) =>
          (window as unknown as { __cutroom: Record<string, (x: unknown) => unknown> }).__cutroom[m](a),
        { method, arg: arg as unknown },
      )
      .catch((error: Error) => {
        if (
          page.isClosed() ||
          this.leftPage ||
          /Target (page, context or browser )?(has been )?closed|crashed|Execution context was destroyed/i.test(
            error.message,
          )
        ) {
          throw new BrowserClosedError(`${method}: ${error.message}`, { cause: error });
        }
        throw error;
      }) as Promise<Awaited<ReturnType<OperatorApi[M]>>>;
    return waitOnPage(work, {
      page,
      what: options.what ?? method,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
  }
}

function toBrowserClosed(error: unknown, what: string): BrowserClosedError {
  if (error instanceof BrowserClosedError) return error;
  return new BrowserClosedError(`${what}: the browser is gone (${(error as Error).message})`, {
    cause: error,
  });
}

/** An allocation the page's memory cap refused, reported by the page as an ordinary error. */
function isOutOfMemory(error: CodeResult['error']): boolean {
  return (
    error?.name === 'RangeError' &&
    /allocation failed|out of memory|Invalid (typed )?array length/i.test(error.message)
  );
}

function isPageLoss(error: unknown): boolean {
  return error instanceof BrowserClosedError;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Sample times for a regular grid: 0, 1/fps, 2/fps … strictly inside the composition. */
export function sampleTimes(durationSeconds: number, fps: number): number[] {
  const count = Math.max(1, Math.ceil(durationSeconds * fps - 1e-9));
  return Array.from({ length: count }, (_, i) => Math.min(i / fps, Math.max(0, durationSeconds - 1 / 30)));
}

/** Parses the action the way the page will run it (an async function body), to report the line of a syntax error. */
async function checkSyntax(code: string): Promise<CodeResult['error'] | undefined> {
  try {
    await transform(`(async function action(core, composition, assets, console) {\n${code}\n})`, {
      loader: 'js',
      logLevel: 'silent',
    });
    return undefined;
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { line: number } | null }[] }).errors?.[0];
    return {
      name: 'SyntaxError',
      message: first?.text ?? (error as Error).message,
      line: first?.location ? first.location.line - 1 : undefined,
    };
  }
}
