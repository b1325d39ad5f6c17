/** @module Where sessions' browsers come from: a local Chromium shared by all sessions, or remote endpoints. */
import { type Browser, chromium } from 'playwright-core';
import { CutroomError, ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { chromiumLaunchArgs } from './chromium-args.ts';
import { findChromium } from './find-chromium.ts';
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
}

/** One local Chromium, launched on first use and relaunched after a crash. */
export class LocalBrowserProvider implements BrowserProvider {
  private launching?: Promise<Browser>;
  private closing?: Promise<void>;

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
    const executablePath = findChromium(this.options.chromiumPath);
    try {
      const browser = await chromium.launch({
        executablePath,
        args: [...chromiumLaunchArgs(), ...(this.options.args ?? [])],
        timeout: options.timeoutMs ?? 30_000,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      browser.on('disconnected', () =>
        this.options.logger.warn({ executablePath }, 'local Chromium disconnected'),
      );
      this.options.logger.debug({ executablePath, version: browser.version() }, 'launched Chromium');
      return browser;
    } catch (error) {
      throw new CutroomError(
        ErrorCode.BrowserLaunchFailed,
        `could not launch ${executablePath}: ${(error as Error).message}`,
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
