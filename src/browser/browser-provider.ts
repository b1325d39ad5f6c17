/** @module Where sessions' browsers come from: a local Chromium shared by all sessions, or remote endpoints. */
import { type Browser, chromium } from 'playwright-core';
import { CutroomError, ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type ChromiumSandbox, type PreparedLaunch, prepareChromiumLaunch } from './chromium-launch.ts';
import { type RemoteBrowserConnector, redactEndpoint } from './remote-browser-connector.ts';
import type { WaitOptions } from './types.ts';

export interface LeasedBrowser {
  browser: Browser;
  /** Where it runs, for logs: `local` or the endpoint URL. */
  endpoint: string;
  /** Called when the session using it ends: disconnects a remote browser, nothing for the shared local one. */
  done(): Promise<void>;
}

export interface BrowserProvider {
  lease(options?: WaitOptions): Promise<LeasedBrowser>;
  close(): Promise<void>;
}

export interface LocalBrowserProviderOptions {
  chromiumPath?: string;
  logger: Logger;
  /** Extra flags, e.g. GPU flags. */
  args?: string[];
  /** Memory each Chromium process (each page) may use. @defaultValue 4096 */
  memoryMb?: number;
  /** The unprivileged user Chromium runs as when cutroom is root. @defaultValue 'cutroom-chromium' */
  user?: string;
  /** How the launch is prepared; the benchmark swaps in an unhardened one to measure what hardening costs. @defaultValue prepareChromiumLaunch */
  prepare?: (options: {
    chromiumPath?: string;
    args?: string[];
    memoryMb?: number;
    user?: string;
  }) => Promise<PreparedLaunch>;
}

/** One local Chromium, launched on first use and relaunched after a crash. */
export class LocalBrowserProvider implements BrowserProvider {
  private launching?: Promise<Browser>;
  private closing?: Promise<void>;
  private cleanups: (() => Promise<void>)[] = [];
  /** The sandbox mode of the last launch, for logs and `cutroom doctor`. */
  sandbox?: ChromiumSandbox;

  constructor(private readonly options: LocalBrowserProviderOptions) {}

  async lease(options: WaitOptions = {}): Promise<LeasedBrowser> {
    if (this.closing) throw new CutroomError(ErrorCode.BrowserUnavailable, 'browser provider is closed');
    const browser = await this.browser(options);
    return { browser, endpoint: 'local', done: async () => {} };
  }

  /** The running browser, if any (for tests and health checks). */
  async current(): Promise<Browser | undefined> {
    return this.launching?.catch(() => undefined);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const browser = await this.launching?.catch(() => undefined);
      await browser?.close().catch(() => {});
      for (const cleanup of this.cleanups.splice(0)) await cleanup().catch(() => {});
    })();
    return this.closing;
  }

  private async browser(options: WaitOptions): Promise<Browser> {
    const existing = await this.launching?.catch(() => undefined);
    if (existing?.isConnected()) return existing;
    this.launching = this.launch(options);
    return this.launching;
  }

  private async launch(options: WaitOptions): Promise<Browser> {
    const prepare = this.options.prepare ?? prepareChromiumLaunch;
    const prepared = await prepare(this.options);
    this.sandbox = prepared.sandbox;
    this.cleanups.push(prepared.cleanup);
    const { logger } = this.options;
    try {
      const browser = await chromium.launch({
        ...prepared.options,
        timeout: options.timeoutMs ?? 30_000,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      browser.on('disconnected', () => logger.warn({}, 'local Chromium disconnected'));
      logger.info(
        { version: browser.version(), sandbox: prepared.sandbox.mode, why: prepared.sandbox.reason },
        'launched Chromium',
      );
      return browser;
    } catch (error) {
      throw new CutroomError(
        ErrorCode.BrowserLaunchFailed,
        `could not launch Chromium (${prepared.sandbox.mode}): ${(error as Error).message}`,
        {
          userMessage: 'The editing browser could not be started.',
          retryable: true,
          cause: error,
        },
      );
    }
  }
}

export interface RemoteBrowserProviderOptions {
  connector: RemoteBrowserConnector;
}

/** One remote browser connection per session: `cutroom browser-server` counts connections as sessions. */
export class RemoteBrowserProvider implements BrowserProvider {
  private closed = false;

  constructor(private readonly options: RemoteBrowserProviderOptions) {}

  async lease(options: WaitOptions = {}): Promise<LeasedBrowser> {
    if (this.closed) throw new CutroomError(ErrorCode.BrowserUnavailable, 'browser provider is closed');
    const { browser, endpoint } = await this.options.connector.connect(options);
    let finished = false;
    // A session lost mid-job means the server died or restarted: try the others first for a while.
    browser.on('disconnected', () => {
      if (!finished) this.options.connector.reportFailure(endpoint);
    });
    return {
      browser,
      endpoint: redactEndpoint(endpoint),
      done: async () => {
        finished = true;
        await browser.close().catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
