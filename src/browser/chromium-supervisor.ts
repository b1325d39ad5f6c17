/** @module Keeps one Chromium Playwright server running for the browser-server: launch, relaunch after a crash, close. */
import { chromium, type LaunchOptions, type BrowserServer as PlaywrightBrowserServer } from 'playwright-core';
import type { Logger } from '../logger.ts';

export interface ChromiumSupervisorOptions {
  /** From prepareChromiumLaunch. */
  launch: LaunchOptions;
  /** How long to wait for Chromium to start. */
  launchTimeoutMs: number;
  logger: Logger;
  /** First pause before a relaunch after a crash. @defaultValue 1000 */
  relaunchDelayMs?: number;
  /** Pause between relaunch attempts that failed. @defaultValue 10_000 */
  retryDelayMs?: number;
}

/**
 * Chromium's `launchServer` on a private loopback port. While Chromium will not start again (out of memory…) it
 * keeps trying, and `running` stays false meanwhile so health checks let an orchestrator replace the whole server.
 */
export class ChromiumSupervisor {
  private server?: PlaywrightBrowserServer;
  private closing?: Promise<void>;
  private relaunchTimer?: NodeJS.Timeout;

  constructor(private readonly options: ChromiumSupervisorOptions) {}

  async start(): Promise<PlaywrightBrowserServer> {
    this.server = await this.launch();
    return this.server;
  }

  get running(): boolean {
    return this.server !== undefined && !this.closing;
  }

  /** The running server's own WebSocket endpoint, if any. */
  get wsEndpoint(): string | undefined {
    return this.closing ? undefined : this.server?.wsEndpoint();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.relaunchTimer);
      try {
        await this.server?.close();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'Chromium close failed');
      }
    })();
    return this.closing;
  }

  private async launch(): Promise<PlaywrightBrowserServer> {
    const server = await chromium.launchServer({
      ...this.options.launch,
      headless: true,
      host: '127.0.0.1',
      port: 0,
      timeout: this.options.launchTimeoutMs,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    server.on('close', () => {
      if (this.server === server) this.server = undefined;
      if (this.closing) return;
      const relaunchInMs = this.options.relaunchDelayMs ?? 1000;
      this.options.logger.error({ relaunchInMs }, 'Chromium exited; its sessions are lost, relaunching');
      this.scheduleRelaunch(relaunchInMs);
    });
    return server;
  }

  private scheduleRelaunch(delayMs: number): void {
    this.relaunchTimer = setTimeout(() => {
      this.launch()
        .then((next) => {
          if (this.closing) return next.close();
          this.server = next;
          this.options.logger.info({}, 'Chromium relaunched');
        })
        .catch((error: unknown) => {
          const retryInMs = this.options.retryDelayMs ?? 10_000;
          this.options.logger.error({ err: error, retryInMs }, 'Chromium relaunch failed');
          if (!this.closing) this.scheduleRelaunch(retryInMs);
        });
    }, delayMs);
  }
}
